// Shared by the benchmarks: medians, a private dockerd (Debian's docker.io, started with its own
// roots as PEERS.md describes), and timing of docker CLI commands against any daemon.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { apiRequest } from '../../test/helpers/api-client.ts';
import { unmountUnder } from '../../test/helpers/daemon.ts';
import { processPss } from '../../src/sys/index.ts';

export const dockerCli = '/usr/local/bin/docker';

/**
 * The command that runs one of berth's programs as shipped: the build in dist/ (scripts/bench.sh
 * builds it first), not the sources under a TypeScript loader, which served blobs 10-20% slower.
 */
export function shipped(program: 'berthd' | 'berth-registry'): string[] {
  const js = join(import.meta.dirname, '..', '..', 'dist', `${program}.js`);
  if (!existsSync(js)) throw new Error(`${js} is missing: run npm run build (scripts/bench.sh does)`);
  return [process.execPath, js];
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'n/a';
}

/** `a / b` as `0.42×`, or n/a. */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

export async function waitPing(socket: string, deadlineMs: number): Promise<boolean> {
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

export interface PrivateDocker {
  socket: string;
  startupMs: number;
  /** Pids of dockerd and containerd (for memory figures). */
  pids: number[];
  stop(): Promise<void>;
}

/** Starts containerd + dockerd in `dir` (no bridge, no iptables); undefined when not installed. */
export async function startDockerd(dir: string): Promise<PrivateDocker | undefined> {
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
  return { socket, startupMs, stop, pids: [dd.pid ?? 0, ctd.pid ?? 0].filter((p) => p > 0) };
}

/** Wall time of one docker CLI command against the daemon at `socket` (NaN if it failed). */
export function timeDocker(socket: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, DOCKER_HOST: `unix://${socket}` };
  delete env['NODE_EXTRA_CA_CERTS'];
  const t0 = performance.now();
  const r = spawnSync(dockerCli, args, { env, stdio: 'ignore', ...(options.cwd ? { cwd: options.cwd } : {}) });
  const ms = performance.now() - t0;
  return r.status === 0 ? ms : NaN;
}

/** A process's resident set (VmRSS) in KiB; 0 when it is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** A process's proportional set size in KiB (src/sys's processPss); 0 when it is gone. */
export function pssKiB(pid: number): number {
  return (processPss(pid) ?? 0) / 1024;
}

/** Pids of processes whose command line contains every one of `needles`. */
export function pidsMatching(...needles: string[]): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (needles.every((n) => cmd.includes(n))) out.push(Number(p));
    } catch {
      // exited
    }
  }
  return out;
}

/**
 * Wall times (ms) of `n` runs of `crun run` on `bundle`, or why it could not run. crun 1.8
 * refuses hybrid cgroups, so it runs in a mount namespace without the cgroup2 mount.
 */
export function timeCrunRun(bundle: string, stateDir: string, n: number): number[] | string {
  const crun = spawnSync('sh', ['-c', 'command -v crun'], { encoding: 'utf8' }).stdout.trim();
  if (!crun) return 'not installed';
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  // bash's $EPOCHREALTIME reads the clock without a process: date(1) around each run added two
  // process starts to crun's time
  const script = `umount /sys/fs/cgroup/unified 2>/dev/null; for i in $(seq 1 ${n}); do a=\${EPOCHREALTIME/./}; ${crun} --root ${stateDir} run -b ${bundle} crun$i >/dev/null 2>&1 || { echo fail; exit 1; }; b=\${EPOCHREALTIME/./}; echo $(( b - a )); done`;
  const r = spawnSync('unshare', ['-m', 'bash', '-c', script], { encoding: 'utf8', env });
  const lines = r.stdout.trim().split('\n');
  return r.status === 0 && !lines.includes('fail') ? lines.map((l) => Number(l) / 1000) : `failed: ${r.stderr.trim()}`;
}
