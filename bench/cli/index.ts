// bench/cli: start-up latency of the berth CLI (median wall time of N runs): `node -e 0` as the
// floor, `berth --version` (no daemon), `berth ps` against a private berthd, and, where dockerd is
// installed, `berth ps` and `docker ps` against the same private dockerd (CLI against CLI).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath } from '../../src/lib/index.ts';
import { startDaemon, unmountUnder } from '../../test/helpers/daemon.ts';

const N = Number(process.env.BENCH_RUNS ?? 20);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function time(cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): number[] | string {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const t1 = process.hrtime.bigint();
    if (r.status !== 0) return `failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
    out.push(Number(t1 - t0) / 1e6);
  }
  return out;
}

const results: [string, number[] | string][] = [];
const berth = binPath('berth');
if (!existsSync(berth)) {
  console.error('bench/cli: bin/berth is missing: run npm run build');
  process.exit(1);
}

results.push(['node -e 0', time(process.execPath, ['-e', '0'])]);
results.push(['berth --version', time(berth, ['--version'])]);

const d = await startDaemon();
try {
  results.push(['berth ps (berthd)', time(berth, ['ps'], { BERTH_HOST: d.host })]);
  results.push(['berth images (berthd)', time(berth, ['images'], { BERTH_HOST: d.host })]);
} finally {
  await d.cleanup();
}

// docker ps and berth ps against one private dockerd, when docker.io is installed.
const hasDocker = ['dockerd', 'containerd', 'docker'].every((b) => spawnSync('which', [b]).status === 0);
if (hasDocker) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-cli-docker-'));
  const procs: ChildProcess[] = [];
  try {
    procs.push(spawn('containerd', ['--address', join(dir, 'containerd.sock'), '--root', join(dir, 'ctd-root'), '--state', join(dir, 'ctd-state')], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 1500));
    procs.push(
      spawn('dockerd', ['-H', `unix://${join(dir, 'docker.sock')}`, '--containerd', join(dir, 'containerd.sock'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '--bridge', 'none', '--iptables=false'], { stdio: 'ignore' }),
    );
    const host = `unix://${join(dir, 'docker.sock')}`;
    for (let i = 0; i < 200; i++) {
      if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    results.push(['docker ps (dockerd)', time('docker', ['-H', host, 'ps'])]);
    results.push(['berth ps (dockerd)', time(berth, ['-H', host, 'ps'])]);
  } finally {
    for (const p of procs.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  results.push(['docker ps', 'dockerd not installed (apt-get install docker.io)']);
}

console.log(`bench/cli: median of ${N} runs (NODE_EXTRA_CA_CERTS unset)`);
for (const [name, r] of results) {
  console.log(`  ${name.padEnd(26)} ${typeof r === 'string' ? r : `${median(r).toFixed(1)} ms  (min ${Math.min(...r).toFixed(1)})`}`);
}
