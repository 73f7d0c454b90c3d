// Distribution benchmark: push and pull of a generated ~200 MiB, 4-layer image over loopback
// through berth-registry, next to skopeo (into an OCI layout) and the distribution registry
// (Debian's docker-registry) serving the same pull, where installed.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { LocalContentStore, writeBlob, type ContentStore } from '../../src/content/index.ts';
import { RegistryClient } from '../../src/registry/client/index.ts';
import { startDaemon } from '../../test/helpers/daemon.ts';
import { dockerCli, median, shipped, startDockerd } from '../helpers/peers.ts';

const run = promisify(execFile);
const mib = 1024 * 1024;
const layerMiB = Number(process.env['BENCH_LAYER_MIB'] ?? 50);
const work = mkdtempSync(join(tmpdir(), 'berth-bench-distribution-'));
const children: ChildProcess[] = [];
const PULLS = Number(process.env['BENCH_PULLS'] ?? 5);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not come up`);
}

async function startBerthRegistry(): Promise<string> {
  const port = await freePort();
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  const [node, registry] = shipped('berth-registry');
  const p = spawn(node!, [registry!, 'serve', '--addr', `127.0.0.1:${port}`, '--root', join(work, 'berth-registry'), '--log-level', 'error'], { env, stdio: 'ignore' });
  children.push(p);
  await waitUp(`http://127.0.0.1:${port}/v2/`);
  return `127.0.0.1:${port}`;
}

async function startDistribution(): Promise<string | undefined> {
  if (!existsSync('/usr/bin/docker-registry')) return undefined;
  const port = await freePort();
  const cfg = join(work, 'distribution.yml');
  writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'distribution')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const p = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: 'ignore' });
  children.push(p);
  await waitUp(`http://127.0.0.1:${port}/v2/`);
  return `127.0.0.1:${port}`;
}

async function makeImage(store: ContentStore): Promise<{ digest: `${string}:${string}`; bytes: number }> {
  const layers = [];
  let bytes = 0;
  for (let i = 0; i < 4; i++) {
    const data = gzipSync(randomBytes(layerMiB * mib), { level: 1 });
    const { digest } = await writeBlob(store, data);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: data.length });
    bytes += data.length;
  }
  const config = await writeBlob(store, JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers });
  const m = await writeBlob(store, manifest);
  return { digest: m.digest, bytes };
}

/** A tar header block for one regular file (ustar), enough for an unpackable layer. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** The same size of image as makeImage, but with real tar layers (a daemon pull unpacks them). */
async function makeTarImage(store: ContentStore, filesPerLayer = layerMiB): Promise<{ digest: `${string}:${string}`; bytes: number }> {
  const layers = [];
  const diffIDs = [];
  let bytes = 0;
  for (let i = 0; i < 4; i++) {
    const parts: Buffer[] = [];
    for (let f = 0; f < filesPerLayer; f++) {
      parts.push(tarHeader(`l${i}-f${f}.bin`, mib), randomBytes(mib));
    }
    parts.push(Buffer.alloc(1024));
    const tar = Buffer.concat(parts);
    diffIDs.push(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    const data = gzipSync(tar, { level: 1 });
    const { digest } = await writeBlob(store, data);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: data.length });
    bytes += data.length;
  }
  const config = await writeBlob(store, JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: diffIDs } }));
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers });
  const m = await writeBlob(store, manifest);
  return { digest: m.digest, bytes };
}

/**
 * `docker pull` (download and unpack) through a private berthd and through a private dockerd,
 * from the same registry, interleaved: each daemon first pulls a small image and then the big one
 * once (its code loaded, its allocator grown: the first pull is reported on its own row), then
 * the big one PULLS times, removed and pruned in between, each pull after a sync; medians.
 * Then `docker push` through berthd.
 */
async function daemonRows(rows: Array<[string, number | undefined, string?]>, host: string, pushHost: string, warmRef: string): Promise<void> {
  if (!existsSync(dockerCli)) {
    rows.push(['docker pull/push through berthd', undefined, 'docker CLI not installed']);
    return;
  }
  const store = freshStore();
  const img = await makeTarImage(store);
  const c = new RegistryClient({ content: store, dockerConfig: null });
  await c.push(`${host}/bench/tar:v1`, { manifest: { digest: img.digest } });
  const small = await makeTarImage(store, 5); // 5 MiB layers: big enough to go through the layer worker
  await c.push(warmRef, { manifest: { digest: small.digest } });
  await c.close();
  const d = await startDaemon(undefined, { args: ['--log-level', 'error'], command: shipped('berthd') });
  const dd = await startDockerd(join(work, 'dockerd'));
  try {
    const daemons: Array<{ name: string; host: string; times: number[] }> = [{ name: 'berthd', host: d.host, times: [] }];
    if (dd) daemons.push({ name: 'dockerd', host: `unix://${dd.socket}`, times: [] });
    const docker$ = (daemonHost: string, ...args: string[]) => {
      const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: daemonHost, DOCKER_CONFIG: join(work, 'docker-config') };
      delete env['NODE_EXTRA_CA_CERTS'];
      return run(dockerCli, args, { env, maxBuffer: 64 * mib });
    };
    const ref = `${host}/bench/tar:v1`;
    // each pull starts from a settled machine: what the last one (either daemon's) left dirty in
    // the page cache is written back first, so neither pays for the other's writes
    const settle = async () => {
      await run('sync');
      await new Promise((r) => setTimeout(r, 500));
    };
    for (const dm of daemons) await docker$(dm.host, 'pull', '-q', warmRef);
    const firsts: number[] = [];
    for (const dm of daemons) {
      await settle();
      firsts.push(await time(() => docker$(dm.host, 'pull', '-q', ref)));
      await docker$(dm.host, 'rmi', '-f', ref);
      await docker$(dm.host, 'image', 'prune', '-af');
    }
    daemons.forEach((dm, i) => rows.push([`docker pull ← berth-registry through ${dm.name}, its first (unpacked)`, firsts[i]]));
    for (let i = 0; i < PULLS; i++) {
      for (const dm of daemons) {
        await settle();
        dm.times.push(await time(() => docker$(dm.host, 'pull', '-q', ref)));
        await docker$(dm.host, 'rmi', '-f', ref);
        await docker$(dm.host, 'image', 'prune', '-af');
      }
    }
    for (const dm of daemons) {
      rows.push([`docker pull ← berth-registry through ${dm.name} (unpacked), median of ${PULLS}`, median(dm.times)]);
    }
    if (dd) {
      const [b, k] = daemons.map((dm) => median(dm.times));
      rows.push(['docker pull: dockerd time / berthd time', undefined, `${(k! / b!).toFixed(2)}× (target ≥ 2)`]);
    } else rows.push(['docker pull through dockerd', undefined, 'dockerd not installed (apt-get install docker.io)']);
    await docker$(d.host, 'pull', '-q', ref);
    await docker$(d.host, 'tag', ref, `${pushHost}/bench/pushed:v1`);
    rows.push([`docker push → ${pushHost === host ? 'berth-registry' : 'distribution registry'} through berthd`, await time(() => docker$(d.host, 'push', '-q', `${pushHost}/bench/pushed:v1`))]);
  } finally {
    await dd?.stop();
    await d.cleanup();
  }
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

let storeCount = 0;
function freshStore(): LocalContentStore {
  return new LocalContentStore(join(work, `content-${storeCount++}`));
}

async function main(): Promise<void> {
  const src = freshStore();
  const img = await makeImage(src);
  const size = img.bytes / mib;
  const rows: Array<[string, number | undefined, string?]> = [];
  const berth = await startBerthRegistry();
  const dist = await startDistribution();
  const pusher = new RegistryClient({ content: src, dockerConfig: null });
  // warm both servers and the client up with a small image first
  const warm = freshStore();
  const tiny = await writeBlob(warm, gzipSync(randomBytes(1000)));
  const tinyConfig = await writeBlob(warm, '{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}');
  const tinyManifest = await writeBlob(warm, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...tinyConfig }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...tiny }] }));
  const warmClient = new RegistryClient({ content: warm, dockerConfig: null });
  for (const host of [berth, dist]) if (host) await warmClient.push(`${host}/warm/app:v1`, { manifest: { digest: tinyManifest.digest } });
  await warmClient.close();

  rows.push(['berth push → berth-registry', await time(() => pusher.push(`${berth}/bench/app:v1`, { manifest: { digest: img.digest } }))]);
  if (dist) rows.push(['berth push → distribution registry', await time(() => pusher.push(`${dist}/bench/app:v1`, { manifest: { digest: img.digest } }))]);
  // a second store over the same blobs, without the labels that would let the push mount them
  const unlabelled = new RegistryClient({ content: new LocalContentStore(join(work, 'content-0')), dockerConfig: null });
  rows.push(['berth push, chunked 16 MiB → berth-registry', await time(() => unlabelled.push(`${berth}/bench/chunked:v1`, { manifest: { digest: img.digest }, chunkSize: 16 * mib }))]);
  await unlabelled.close();
  rows.push(['berth push → berth-registry, blobs known (mount)', await time(() => pusher.push(`${berth}/bench/mounted:v1`, { manifest: { digest: img.digest } }))]);

  const pullFrom = async (host: string) => {
    const c = new RegistryClient({ content: freshStore(), dockerConfig: null });
    const t = await time(() => c.pull(`${host}/bench/app:v1`));
    await c.close();
    return t;
  };
  rows.push(['berth pull ← berth-registry', await pullFrom(berth)]);
  if (dist) rows.push(['berth pull ← distribution registry', await pullFrom(dist)]);
  const skopeo = existsSync('/usr/bin/skopeo');
  const skopeoPull = async (host: string, n: number) =>
    time(() => run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${host}/bench/app:v1`, `oci:${join(work, `oci-${n}`)}:v1`], { env: { ...process.env, HOME: work } }));
  if (skopeo) {
    rows.push(['skopeo copy ← berth-registry (OCI layout)', await skopeoPull(berth, 1)]);
    if (dist) rows.push(['skopeo copy ← distribution registry (OCI layout)', await skopeoPull(dist, 2)]);
  } else rows.push(['skopeo copy', undefined, 'skopeo not installed']);
  await pusher.close();
  await daemonRows(rows, berth, dist ?? berth, `${berth}/warm/tar:v1`);

  console.log(`image: 4 layers, ${size.toFixed(1)} MiB over loopback`);
  console.log(`${'operation'.padEnd(52)} ${'seconds'.padStart(8)} ${'MiB/s'.padStart(8)}`);
  for (const [name, secs, note] of rows) {
    console.log(`${name.padEnd(52)} ${secs === undefined ? '-'.padStart(8) : secs.toFixed(2).padStart(8)} ${secs === undefined ? (note ?? '') : (size / secs).toFixed(0).padStart(8)}`);
  }
  console.log('reference (PEERS.md, same class of machine, 200 MiB): docker pull 2.64 s, skopeo copy 1.34 s, docker push 9.3 s');
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  rmSync(work, { recursive: true, force: true });
}
