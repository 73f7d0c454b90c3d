// Quick interleaved timing of `docker run --rm` with --network none / bridge / a user network
// against berthd (interleaved so a busy machine skews all three alike).
import { startNetDaemon, unique } from '../../test/network/harness.ts';
import { fmtMs, median, timeDocker } from '../helpers/peers.ts';

const N = Number(process.env.BENCH_RUNS ?? 15);
const cleanups: (() => Promise<void>)[] = [];
try {
  const n = await startNetDaemon({ after: (fn) => cleanups.push(fn) });
  const net = unique('bq');
  n.ok('network', 'create', net);
  const modes = ['none', 'bridge', net];
  const xs: number[][] = modes.map(() => []);
  for (const m of modes) timeDocker(n.d.socket, ['run', '--rm', '--network', m, 'busybox', 'true']);
  for (let i = 0; i < N; i++) modes.forEach((m, j) => xs[j]!.push(timeDocker(n.d.socket, ['run', '--rm', '--network', m, 'busybox', 'true'])));
  modes.forEach((m, j) => console.log(`run --rm --network ${j === 2 ? '<user>' : m}`.padEnd(36) + fmtMs(median(xs[j]!))));
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
