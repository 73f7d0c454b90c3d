// bench/daemon: berthd start-up to API ready and container run latency, next to dockerd
// (Debian's docker.io, started privately as PEERS.md says) when it is installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest } from '../../test/helpers/api-client.ts';
import { berthdCommand, startDaemon, unmountUnder } from '../../test/helpers/daemon.ts';
import { makeBusyboxRootfs } from '../../test/helpers/busybox-rootfs.ts';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const dockerCli = '/usr/local/bin/docker';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'n/a';
}

async function waitPing(socket: string, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      if ((await apiRequest(socket, '/_ping')).status === 200) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

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

interface PrivateDocker {
  socket: string;
  stop(): Promise<void>;
}

async function startDockerd(dir: string): Promise<{ docker: PrivateDocker; startupMs: number } | undefined> {
  if (!existsSync('/usr/sbin/dockerd') || !existsSync('/usr/bin/containerd')) return undefined;
  mkdirSync(dir, { recursive: true });
  const ctd: ChildProcess = spawn('/usr/bin/containerd', ['--address', join(dir, 'containerd.sock'), '--root', join(dir, 'ctd-root'), '--state', join(dir, 'ctd-state')], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(join(dir, 'containerd.sock')); i++) await new Promise((r) => setTimeout(r, 25));
  const socket = join(dir, 'docker.sock');
  const t0 = performance.now();
  const dd: ChildProcess = spawn(
    '/usr/sbin/dockerd',
    ['-H', `unix://${socket}`, '--containerd', join(dir, 'containerd.sock'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '--bridge', 'none', '--iptables=false'],
    { stdio: 'ignore' },
  );
  const ok = await waitPing(socket, 60_000);
  const startupMs = performance.now() - t0;
  const stop = async () => {
    dd.kill('SIGTERM');
    await new Promise((r) => dd.once('exit', r));
    ctd.kill('SIGTERM');
    await new Promise((r) => ctd.once('exit', r));
    unmountUnder(dir);
  };
  if (!ok) {
    await stop();
    return undefined;
  }
  return { docker: { socket, stop }, startupMs };
}

function timeDocker(host: string, args: string[]): number {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${host}` };
  delete env['NODE_EXTRA_CA_CERTS'];
  const t0 = performance.now();
  const r = spawnSync(dockerCli, args, { env, stdio: 'ignore' });
  const ms = performance.now() - t0;
  return r.status === 0 ? ms : NaN;
}

/** create → start → wait → remove over the Engine API, as a client library would. */
async function apiRun(socket: string): Promise<number> {
  const t0 = performance.now();
  const c = await apiRequest(socket, '/v1.41/containers/create', { method: 'POST', body: { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } } });
  const id = c.json().Id as string;
  await apiRequest(socket, `/v1.41/containers/${id}/start`, { method: 'POST' });
  await apiRequest(socket, `/v1.41/containers/${id}/wait`, { method: 'POST' });
  await apiRequest(socket, `/v1.41/containers/${id}?force=1`, { method: 'DELETE' });
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  try {
    const rootfs = join(scratch, 'rootfs');
    makeBusyboxRootfs(rootfs);
    const tar = join(scratch, 'rootfs.tar');
    spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']);

    process.stderr.write('bench/daemon: berthd start-up\n');
    const berthStart = median(await berthdStartup());
    process.stderr.write('bench/daemon: berthd runs\n');
    const d = await startDaemon(undefined, { dir: join(scratch, 'berthd') });
    const berthRun: number[] = [];
    const berthApi: number[] = [];
    const berthPs: number[] = [];
    try {
      timeDocker(d.socket, ['import', tar, 'busybox:latest']);
      for (let i = 0; i < runs; i++) berthRun.push(timeDocker(d.socket, ['run', '--rm', '--network', 'none', 'busybox', 'true']));
      for (let i = 0; i < runs; i++) berthApi.push(await apiRun(d.socket).catch(() => NaN));
      for (let i = 0; i < runs; i++) berthPs.push(timeDocker(d.socket, ['ps']));
    } finally {
      await d.cleanup();
    }

    let dockerStart = NaN;
    const dockerRun: number[] = [];
    const dockerApi: number[] = [];
    const dockerPs: number[] = [];
    process.stderr.write('bench/daemon: dockerd\n');
    const dd = await startDockerd(join(scratch, 'dockerd'));
    if (dd) {
      try {
        dockerStart = dd.startupMs;
        timeDocker(dd.docker.socket, ['import', tar, 'busybox:latest']);
        for (let i = 0; i < runs; i++) dockerRun.push(timeDocker(dd.docker.socket, ['run', '--rm', '--network', 'none', 'busybox', 'true']));
        for (let i = 0; i < runs; i++) dockerApi.push(await apiRun(dd.docker.socket).catch(() => NaN));
        for (let i = 0; i < runs; i++) dockerPs.push(timeDocker(dd.docker.socket, ['ps']));
      } finally {
        await dd.docker.stop();
      }
    }

    const rows: [string, number, number][] = [
      ['daemon start to API ready (/_ping)', berthStart, dockerStart],
      ['docker run --rm --network none busybox true', median(berthRun), median(dockerRun)],
      ['API create→start→wait→remove', median(berthApi), median(dockerApi)],
      ['docker ps', median(berthPs), median(dockerPs)],
    ];
    console.log(`bench/daemon (median of ${runs}; the docker CLI drives both daemons)`);
    console.log(`${'measure'.padEnd(48)}${'berthd'.padStart(12)}${'dockerd'.padStart(12)}`);
    for (const [name, b, k] of rows) console.log(`${name.padEnd(48)}${fmt(b).padStart(12)}${fmt(k).padStart(12)}`);
    if (!dd) console.log('dockerd: not installed or did not start (apt-get install docker.io for the comparison)');
    writeFileSync(join(scratch, 'done'), '');
  } finally {
    unmountUnder(scratch);
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
