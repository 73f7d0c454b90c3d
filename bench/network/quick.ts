// Quick interleaved timing of `docker run --rm` with --network none / bridge / a user network
// against berthd (interleaved so a busy machine skews all three alike), with berthd's own CPU
// time per run (user + system, from /proc), which the machine's load disturbs much less.
import { readFileSync } from 'node:fs';
import { startNetDaemon, unique } from '../../test/network/harness.ts';
import { fmtMs, median, timeDocker } from '../helpers/peers.ts';

const N = Number(process.env.BENCH_RUNS ?? 15);

/** CPU time (ms) the process has used so far. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const cleanups: (() => Promise<void>)[] = [];
try {
  const n = await startNetDaemon({ after: (fn) => cleanups.push(fn) });
  const pid = n.d.process.pid!;
  const net = unique('bq');
  n.ok('network', 'create', net);
  const modes = ['none', 'bridge', net];
  const wall: number[][] = modes.map(() => []);
  const cpu: number[] = modes.map(() => 0);
  for (const m of modes) timeDocker(n.d.socket, ['run', '--rm', '--network', m, 'busybox', 'true']);
  for (let i = 0; i < N; i++) {
    modes.forEach((m, j) => {
      const c0 = cpuMs(pid);
      wall[j]!.push(timeDocker(n.d.socket, ['run', '--rm', '--network', m, 'busybox', 'true']));
      cpu[j]! += cpuMs(pid) - c0;
    });
  }
  console.log(`bench/network quick (${N} interleaved runs)`.padEnd(40) + 'wall (median)'.padEnd(16) + 'berthd CPU/run (mean)');
  modes.forEach((m, j) => console.log(`run --rm --network ${j === 2 ? '<user>' : m}`.padEnd(40) + fmtMs(median(wall[j]!)).padEnd(16) + fmtMs(cpu[j]! / N)));
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
