// The client and berth-registry next to the other implementations on this machine: the
// distribution registry (Debian's docker-registry), skopeo, and the berth-registry executable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient } from '../../src/registry/client/index.ts';
import { makeImage, openContentStore, sha, startRegistry, tempDir } from './helpers.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

function need(bin: string): void {
  if (!existsSync(bin)) assert.fail(`${bin} is missing: run scripts/setup.sh (apt-get install -y docker-registry skopeo)`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) assert.fail(`registry exited: ${log()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.fail(`registry at ${url} did not start: ${log()}`);
}

test('the client pushes to and pulls from the distribution registry (docker-registry)', async (t) => {
  need('/usr/bin/docker-registry');
  const dir = tempDir('distribution');
  const port = await freePort();
  writeFileSync(join(dir.path, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir.path}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  let out = '';
  const proc = spawn('/usr/bin/docker-registry', ['serve', join(dir.path, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (out += d));
  const src = openContentStore();
  const dst = openContentStore();
  t.after(() => {
    proc.kill('SIGTERM');
    src.remove();
    dst.remove();
    dir.remove();
  });
  await waitFor(`http://127.0.0.1:${port}/v2/`, proc, () => out);
  const img = await makeImage(src.store, [200_000, 3000], { mediaType: 'docker' });
  const pusher = new RegistryClient({ content: src.store, dockerConfig: null });
  await pusher.push(`127.0.0.1:${port}/peer/app:v1`, { manifest: { digest: img.manifestDigest }, chunkSize: 50_000 });
  await pusher.push(`127.0.0.1:${port}/peer/copy:v1`, { manifest: { digest: img.manifestDigest } });
  const puller = new RegistryClient({ content: dst.store, dockerConfig: null });
  const pulled = await puller.pull(`127.0.0.1:${port}/peer/app:v1`);
  assert.equal(pulled.digest, img.manifestDigest);
  assert.equal(pulled.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  for (const l of img.layers) assert.deepEqual(await dst.store.readBlob({ digest: l.digest }), l.data);
  assert.deepEqual(await puller.tags(`127.0.0.1:${port}/peer/app`), ['v1']);
  await assert.rejects(puller.pull(`127.0.0.1:${port}/peer/app:nope`), /manifest unknown/);
  await pusher.close();
  await puller.close();
});

/** Writes an OCI image layout holding `manifest` (tagged `tag`) and its blobs. */
function writeLayout(dir: string, tag: string, manifest: Buffer, blobs: Buffer[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of [manifest, ...blobs]) writeFileSync(join(dir, 'blobs', 'sha256', sha(b).slice(7)), b);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
}

test('skopeo copies into and out of berth-registry', async (t) => {
  need('/usr/bin/skopeo');
  const reg = await startRegistry();
  const src = openContentStore();
  const dst = openContentStore();
  const dir = tempDir('skopeo');
  t.after(async () => {
    await reg.stop();
    src.remove();
    dst.remove();
    dir.remove();
  });
  const img = await makeImage(src.store, [150_000, 20_000]);
  const configBody = await src.store.readBlob({ digest: img.config.digest });
  writeLayout(join(dir.path, 'in'), 'v1', img.manifest, [configBody, ...img.layers.map((l) => l.data)]);
  const env = { ...process.env, HOME: dir.path };
  await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(dir.path, 'in')}:v1`, `docker://${reg.host}/sk/app:v1`], { env });
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  const pulled = await client.pull(`${reg.host}/sk/app:v1`);
  assert.equal(pulled.digest, img.manifestDigest);
  for (const l of img.layers) assert.deepEqual(await dst.store.readBlob({ digest: l.digest }), l.data);

  // and out again, of an image pushed by the Berth client
  const other = await makeImage(src.store, [40_000]);
  const pusher = new RegistryClient({ content: src.store, dockerConfig: null });
  await pusher.push(`${reg.host}/sk/berth:v2`, { manifest: { digest: other.manifestDigest } });
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/sk/berth:v2`, `oci:${join(dir.path, 'out')}:v2`], { env });
  const index = JSON.parse(readFileSync(join(dir.path, 'out', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  assert.equal(index.manifests[0]!.digest, other.manifestDigest);
  assert.deepEqual(readFileSync(join(dir.path, 'out', 'blobs', 'sha256', other.layers[0]!.digest.slice(7))), other.layers[0]!.data);
  const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/sk/berth:v2`], { env });
  assert.equal(sha(stdout), other.manifestDigest);
  await client.close();
  await pusher.close();
});

test('berth-registry serves over TLS and the client trusts certs.d/<host>/ca.crt', async (t) => {
  const dir = tempDir('tls');
  const key = join(dir.path, 'key.pem');
  const cert = join(dir.path, 'cert.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const reg = await startRegistry({ tls: { cert: readFileSync(cert), key: readFileSync(key) } });
  const src = openContentStore();
  t.after(async () => {
    await reg.stop();
    src.remove();
    dir.remove();
  });
  assert.match(reg.url, /^https:/);
  mkdirSync(join(dir.path, 'certs.d', reg.host), { recursive: true });
  writeFileSync(join(dir.path, 'certs.d', reg.host, 'ca.crt'), readFileSync(cert));
  const img = await makeImage(src.store, [1000]);
  const client = new RegistryClient({ content: src.store, dockerConfig: null, certsDirs: [join(dir.path, 'certs.d')] });
  await client.push(`${reg.host}/tls/app:v1`, { manifest: { digest: img.manifestDigest } });
  const r = await client.resolve(`${reg.host}/tls/app:v1`);
  assert.equal(r.top.digest, img.manifestDigest);
  // without the CA, loopback falls back to plain HTTP, which a TLS server refuses
  const plain = new RegistryClient({ content: src.store, dockerConfig: null, certsDirs: [] });
  await assert.rejects(plain.resolve(`${reg.host}/tls/app:v1`));
  await client.close();
  await plain.close();
});

test('the berth-registry executable serves with flags and garbage-collects its root', async (t) => {
  const dir = tempDir('bin');
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cmd/berth-registry.ts'), 'serve', '--addr', '127.0.0.1:0', '--root', dir.path, '--log-level', 'error'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const src = openContentStore();
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    src.remove();
    dir.remove();
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]!);
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d));
    proc.on('exit', () => reject(new Error(`berth-registry exited: ${out}`)));
  });
  const host = new URL(url).host;
  const img = await makeImage(src.store, [5000]);
  const client = new RegistryClient({ content: src.store, dockerConfig: null });
  await client.push(`${host}/bin/app:v1`, { manifest: { digest: img.manifestDigest } });
  const orphan = Buffer.from('orphan blob');
  assert.equal((await fetch(`${url}/v2/bin/app/blobs/uploads/?digest=${sha(orphan)}`, { method: 'POST', body: orphan })).status, 201);
  await client.close();
  const exited = new Promise((r) => proc.on('exit', r));
  proc.kill('SIGTERM');
  await exited;
  const gc = await run(process.execPath, ['--import', 'tsx', join(root, 'src/cmd/berth-registry.ts'), 'garbage-collect', '--root', dir.path], { cwd: root, env });
  assert.match(gc.stdout, new RegExp(`deleted blob ${sha(orphan)}`));
  assert.match(gc.stdout, /3 blobs marked, 1 blobs deleted/);
  assert.equal(existsSync(join(dir.path, 'v2/blobs/sha256', img.layers[0]!.digest.slice(7, 9), img.layers[0]!.digest.slice(7), 'data')), true);
});
