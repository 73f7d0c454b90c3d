// bench/daemon: berthd start-up to API ready and container run latency, next to dockerd
// (Debian's docker.io, started privately as PEERS.md says) when it is installed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest } from '../../test/helpers/api-client.ts';
import { berthdCommand, startDaemon, unmountUnder } from '../../test/helpers/daemon.ts';
import { fmtMs as fmt, median, pidsMatching, pssKiB, rssKiB, startDockerd, timeCrunRun, timeDocker, waitPing } from '../helpers/peers.ts';
import { defaultSpec } from '../../src/runtime/index.ts';
import { makeBusyboxRootfs } from '../../test/helpers/busybox-rootfs.ts';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
/** Rounds of the API path and crun taken in turn. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
async function berthdStartup(): Promise<number[]> {
  const times: number[] = [];
  const [cmd, ...args] = berthdCommand();
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'berth-bench-daemon-'));
    const sock = join(dir, 'b.sock');
    const env = { ...process.env };
    delete env['NODE_EXTRA_CA_CERTS'];
    writeFileSync(join(dir, 'daemon.json'), '{}');
    const t0 = performance.now();
    const child = spawn(cmd!, [...args, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${sock}`, '--config-file', join(dir, 'daemon.json')], { stdio: 'ignore', env });
    const ok = await waitPing(sock, 30_000);
    if (ok) times.push(performance.now() - t0);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

/**
 * create → start → wait → remove over the Engine API, as a client library would: with a
 * kept-alive connection (`agent`), or a fresh connection per request.
 */
async function apiRun(socket: string, agent?: Agent): Promise<number> {
  const t0 = performance.now();
  const call = async (path: string, method: string, body?: unknown) =>
    (await apiRequest(socket, path, { method, ...(body ? { body } : {}), ...(agent ? { agent } : {}) })).text();
  const id = (JSON.parse(await call('/v1.41/containers/create', 'POST', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } })) as { Id: string }).Id;
  await call(`/v1.41/containers/${id}/start`, 'POST');
  await call(`/v1.41/containers/${id}/wait`, 'POST');
  await call(`/v1.41/containers/${id}?force=1`, 'DELETE');
  return performance.now() - t0;
}

/** apiRun `n` times on one kept-alive connection. */
async function apiRunsKeepAlive(socket: string, n = runs): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) out.push(await apiRun(socket, agent).catch(() => NaN));
  } finally {
    agent.destroy();
  }
  return out;
}

const MANY = Number(process.env['BENCH_CONTAINERS'] ?? 100);

interface ManyFigures {
  /** Daemon RSS (KiB) with MANY containers running, and idle before them. */
  daemonIdle: number;
  daemonLoaded: number;
  /** Mean PSS (KiB) of one container's monitor (berth-shim / containerd-shim). */
  monitorPss: number;
}

/** Starts MANY `sleep` containers over the API (10 at a time), measures memory, removes them. */
async function manyContainers(socket: string, daemonPids: number[], monitorNeedles: string[]): Promise<ManyFigures> {
  const rss = () => daemonPids.reduce((a, p) => a + rssKiB(p), 0);
  const daemonIdle = rss();
  const ids: string[] = [];
  try {
    for (let i = 0; i < MANY; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, MANY - i) }, async () => {
          const c = await apiRequest(socket, '/v1.41/containers/create', { method: 'POST', body: { Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } } });
          const id = c.json().Id as string;
          await apiRequest(socket, `/v1.41/containers/${id}/start`, { method: 'POST' });
          return id;
        }),
      );
      ids.push(...batch);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const monitors = pidsMatching(...monitorNeedles);
    const monitorPss = monitors.length ? monitors.reduce((a, p) => a + pssKiB(p), 0) / monitors.length : NaN;
    return { daemonIdle, daemonLoaded: rss(), monitorPss };
  } finally {
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map((id) => apiRequest(socket, `/v1.41/containers/${id}?force=1`, { method: 'DELETE' }).catch(() => undefined)));
    }
  }
}

const fmtKiB = (k: number): string => (Number.isFinite(k) ? (k >= 10240 ? `${(k / 1024).toFixed(1)} MiB` : `${Math.round(k)} KiB`) : 'n/a');

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  try {
    const rootfs = join(scratch, 'rootfs');
    makeBusyboxRootfs(rootfs);
    const tar = join(scratch, 'rootfs.tar');
    spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']);

    // the API path's peer: crun running `true` on a bundle of the same rootfs
    const bundle = join(scratch, 'bundle');
    mkdirSync(bundle);
    const spec = defaultSpec({ terminal: false, args: ['true'], rootPath: rootfs });
    spec.ociVersion = '1.0.2'; // crun 1.8 rejects later versions
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

    process.stderr.write('bench/daemon: berthd start-up\n');
    const berthStart = median(await berthdStartup());
    process.stderr.write('bench/daemon: berthd runs\n');
    const d = await startDaemon(undefined, { dir: join(scratch, 'berthd') });
    const berthRun: number[] = [];
    const berthApi: number[] = [];
    const berthApiKeep: number[] = [];
    const crun: number[] = [];
    let crunError = '';
    const berthPs: number[] = [];
    let berthMany: ManyFigures | undefined;
    let dockerMany: ManyFigures | undefined;
    try {
      timeDocker(d.socket, ['import', tar, 'busybox:latest']);
      for (let i = 0; i < runs; i++) berthRun.push(timeDocker(d.socket, ['run', '--rm', '--network', 'none', 'busybox', 'true']));
      for (let i = 0; i < runs; i++) berthApi.push(await apiRun(d.socket).catch(() => NaN));
      // the API path against its target: rounds of kept-alive API runs and crun runs in turn, so
      // both see the same machine (its timings drift by 20% and more over a minute)
      for (let r = 0; r < ROUNDS; r++) {
        berthApiKeep.push(...(await apiRunsKeepAlive(d.socket, Math.max(runs, 10) + 1)).slice(1)); // the first opens the connection
        const c = timeCrunRun(bundle, join(scratch, 'crun-root'), Math.max(runs, 10));
        if (typeof c === 'string') crunError = c;
        else crun.push(...c.slice(1)); // the first run of a round warms crun's files
      }
      for (let i = 0; i < runs; i++) berthPs.push(timeDocker(d.socket, ['ps']));
      process.stderr.write(`bench/daemon: berthd with ${MANY} containers\n`);
      berthMany = await manyContainers(d.socket, [d.process.pid ?? 0], ['berth-shim', d.dir]);
    } finally {
      await d.cleanup();
    }

    let dockerStart = NaN;
    const dockerRun: number[] = [];
    const dockerApi: number[] = [];
    const dockerApiKeep: number[] = [];
    const dockerPs: number[] = [];
    process.stderr.write('bench/daemon: dockerd\n');
    const dd = await startDockerd(join(scratch, 'dockerd'));
    if (dd) {
      try {
        dockerStart = dd.startupMs;
        timeDocker(dd.socket, ['import', tar, 'busybox:latest']);
        for (let i = 0; i < runs; i++) dockerRun.push(timeDocker(dd.socket, ['run', '--rm', '--network', 'none', 'busybox', 'true']));
        for (let i = 0; i < runs; i++) dockerApi.push(await apiRun(dd.socket).catch(() => NaN));
        dockerApiKeep.push(...(await apiRunsKeepAlive(dd.socket)));
        for (let i = 0; i < runs; i++) dockerPs.push(timeDocker(dd.socket, ['ps']));
        process.stderr.write(`bench/daemon: dockerd with ${MANY} containers\n`);
        dockerMany = await manyContainers(dd.socket, dd.pids, ['containerd-shim', join(scratch, 'dockerd')]);
      } finally {
        await dd.stop();
      }
    }

    const rows: [string, number, number][] = [
      ['daemon start to API ready (/_ping)', berthStart, dockerStart],
      ['docker run --rm --network none busybox true', median(berthRun), median(dockerRun)],
      ['API create→start→wait→remove, a connection per request', median(berthApi), median(dockerApi)],
      ['API create→start→wait→remove, one kept-alive connection', median(berthApiKeep), median(dockerApiKeep)],
      ['docker ps', median(berthPs), median(dockerPs)],
    ];
    console.log(`bench/daemon (median of ${runs}; the docker CLI drives both daemons)`);
    console.log(`${'measure'.padEnd(58)}${'berthd'.padStart(12)}${'dockerd'.padStart(12)}`);
    for (const [name, b, k] of rows) console.log(`${name.padEnd(58)}${fmt(b).padStart(12)}${fmt(k).padStart(12)}`);
    const mem: [string, (f: ManyFigures) => number][] = [
      ['daemon RSS, idle', (f) => f.daemonIdle],
      [`daemon RSS with ${MANY} containers running`, (f) => f.daemonLoaded],
      ['monitor PSS per container (berth-shim / containerd-shim)', (f) => f.monitorPss],
    ];
    for (const [name, get] of mem) {
      console.log(`${name.padEnd(58)}${fmtKiB(berthMany ? get(berthMany) : NaN).padStart(12)}${fmtKiB(dockerMany ? get(dockerMany) : NaN).padStart(12)}`);
    }
    console.log('(dockerd RSS counts dockerd + containerd)');
    if (crunError) console.log(`crun run of the same rootfs (the API path's target): ${crunError}`);
    else {
      const api = median(berthApiKeep);
      const c = median(crun);
      console.log(`API path (kept-alive) vs crun run of the same rootfs, ${ROUNDS} interleaved rounds: ${fmt(api)} vs ${fmt(c)} (${(api / c).toFixed(2)}x; target <= 1)`);
    }
    if (!dd) console.log('dockerd: not installed or did not start (apt-get install docker.io for the comparison)');
    writeFileSync(join(scratch, 'done'), '');
  } finally {
    unmountUnder(scratch);
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
