// bench/runtime: median wall time of 30 `run` of `true` on one busybox bundle, for berth-runtime's
// CLI, the runtime library in-process (the daemon's path), runc and crun where installed; and the
// monitor's proportional memory (PSS) per running container.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath } from '../../src/lib/index.ts';
import { Runtime, defaultSpec } from '../../src/runtime/index.ts';
import { processPss } from '../../src/sys/index.ts';
import { makeBusyboxRootfs } from '../../test/helpers/busybox-rootfs.ts';
import { timeCrunRun } from '../helpers/peers.ts';

const N = Number(process.env.BENCH_RUNS ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-rt-'));
const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
const bundle = join(dir, 'bundle');
spawnSync('mkdir', ['-p', bundle]);
const spec = defaultSpec({ terminal: false, args: ['true'], rootPath: rootfs });
spec.ociVersion = '1.0.2'; // crun 1.8 rejects later versions; every runtime here accepts this one
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function timeCommand(cmd: string, args: (i: number) => string[]): number[] | string {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args(i), { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const t1 = process.hrtime.bigint();
    if (r.status !== 0) return `failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
    out.push(Number(t1 - t0) / 1e6);
  }
  return out;
}

const results: [string, number[] | string][] = [];

// berth-runtime CLI
const cliBin = binPath('berth-runtime');
results.push([
  'berth-runtime run (CLI)',
  existsSync(cliBin) ? timeCommand(cliBin, (i) => ['--root', join(dir, 'cli-root'), 'run', '-b', bundle, `cli${i}`]) : 'not built (npm run build)',
]);

// in-process
const rt = new Runtime({ root: join(dir, 'lib-root') });
const lib: number[] = [];
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  await rt.run(`lib${i}`, { bundle, stdio: { mode: 'null' } });
  await rt.delete(`lib${i}`);
  lib.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
results.push(['Runtime.run + delete (in-process)', lib]);

const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
const runc = which('runc');
results.push(['runc run', runc ? timeCommand(runc, (i) => ['--root', join(dir, 'runc-root'), 'run', '-b', bundle, `runc${i}`]) : 'not installed']);

results.push(['crun run (in unshare -m)', timeCrunRun(bundle, join(dir, 'crun-root'), N)]);

// monitor memory
let pss = 'n/a';
try {
  const bundle2 = join(dir, 'bundle-sleep');
  spawnSync('mkdir', ['-p', bundle2]);
  writeFileSync(join(bundle2, 'config.json'), JSON.stringify(defaultSpec({ terminal: false, args: ['sleep', '30'], rootPath: rootfs })));
  const { state } = await rt.run('pss', { bundle: bundle2, stdio: { mode: 'log', logPath: join(dir, 'pss.log') }, detach: true });
  const ppid = Number(readFileSync(`/proc/${state.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  await new Promise((r) => setTimeout(r, 200));
  const bytes = processPss(ppid);
  pss = bytes === undefined ? 'n/a' : `${(bytes / 1024).toFixed(0)} KiB`;
  await rt.delete('pss', { force: true });
} catch (err) {
  pss = `failed: ${(err as Error).message}`;
}

console.log(`runtime: median of ${N} runs of \`true\` on one busybox bundle (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
for (const [name, r] of results) {
  console.log(`  ${name.padEnd(38)} ${typeof r === 'string' ? r : `${median(r).toFixed(1)} ms   (min ${Math.min(...r).toFixed(1)} ms)`}`);
}
console.log(`  ${'berth-shim monitor PSS (log mode)'.padEnd(38)} ${pss}   (docker's shim: 2.9 MiB PSS)`);
rmSync(dir, { recursive: true, force: true });
