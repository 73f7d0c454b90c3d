// bench/network: what a bridge costs. Median wall time of `docker run --rm busybox true` (the
// docker CLI in both cases) with `--network none`, the default bridge and a user-defined network,
// and loopback throughput through a published port (busybox httpd serving a large file, fetched N
// times) — against berthd, and against a private dockerd where it is installed (dockerd runs
// without iptables there: its default bridge is off, so only its user-defined network is timed,
// and published ports go through its userland proxy). Berth publishes ports with DNAT (OUTPUT
// chain and route_localnet for loopback), no proxy: the row fetching from the container's own
// address shows what the NAT path costs against no NAT at all.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../../test/helpers/busybox-rootfs.ts';
import { httpGet, startNetDaemon, unique } from '../../test/network/harness.ts';
import { dockerCli, fmtMs, median, startDockerd, timeDocker } from '../helpers/peers.ts';

const N = Number(process.env.BENCH_RUNS ?? 10);
const FETCHES = Number(process.env.BENCH_FETCHES ?? 5);
const FILE_MIB = 64;

function docker(socket: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  delete env['NODE_EXTRA_CA_CERTS'];
  const r = spawnSync(dockerCli, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Median run latency per network, the networks' runs interleaved so a busy machine skews all alike. */
function runLatencies(socket: string, networks: string[]): number[] {
  const xs: number[][] = networks.map(() => []);
  for (let i = 0; i < N; i++) networks.forEach((net, j) => xs[j]!.push(timeDocker(socket, ['run', '--rm', '--network', net, 'busybox', 'true'])));
  return xs.map(median);
}

/** Bytes per second of GET http://host:port/big, median of FETCHES. */
async function throughput(host: string, port: number): Promise<number> {
  await httpGet(host, port, '/index.html');
  const xs: number[] = [];
  for (let i = 0; i < FETCHES; i++) {
    const t0 = performance.now();
    const bytes = await new Promise<number>((resolve, reject) => {
      const req = request({ host, port, path: '/big' }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
      });
      req.on('error', reject);
      req.end();
    });
    if (bytes !== FILE_MIB * 1024 * 1024) throw new Error(`fetched ${bytes} bytes`);
    xs.push(bytes / ((performance.now() - t0) / 1000));
  }
  return median(xs);
}

const serveBig = `mkdir -p /www && echo ok > /www/index.html && dd if=/dev/zero of=/www/big bs=1M count=${FILE_MIB} 2>/dev/null && exec httpd -f -p 80 -h /www`;

interface Figures {
  none: number;
  bridge?: number;
  user: number;
  mbps: number;
  /** The same fetched from the container's own address (no NAT, no proxy). */
  directMbps: number;
}

async function measure(socket: string, withDefaultBridge: boolean): Promise<Figures> {
  const net = unique('bb');
  docker(socket, 'network', 'create', net);
  try {
    const networks = withDefaultBridge ? ['none', net, 'bridge'] : ['none', net];
    for (const x of networks) timeDocker(socket, ['run', '--rm', '--network', x, 'busybox', 'true']); // warm-up
    const [none = NaN, user = NaN, bridge] = runLatencies(socket, networks);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const id = docker(socket, 'run', '-d', '--network', net, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', serveBig);
    let mbps = NaN;
    let directMbps = NaN;
    try {
      mbps = (await throughput('127.0.0.1', port)) / (1024 * 1024);
      const ip = docker(socket, 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id);
      directMbps = (await throughput(ip, 80)) / (1024 * 1024);
    } finally {
      docker(socket, 'rm', '-f', id);
    }
    return { none, ...(bridge !== undefined ? { bridge } : {}), user, mbps, directMbps };
  } finally {
    docker(socket, 'network', 'rm', net);
  }
}

const cleanups: (() => Promise<void>)[] = [];
const rows: [string, string, string][] = [];
try {
  const n = await startNetDaemon({ after: (fn) => cleanups.push(fn) });
  const berth = await measure(n.d.socket, true);
  rows.push(['run --rm --network none', fmtMs(berth.none), '']);
  rows.push(['run --rm (default bridge)', fmtMs(berth.bridge ?? NaN), '']);
  rows.push(['run --rm --network <user network>', fmtMs(berth.user), '']);
  rows.push(['published port, loopback (MiB/s)', berth.mbps.toFixed(0), '']);
  rows.push(['container address, no NAT (MiB/s)', berth.directMbps.toFixed(0), '']);
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-network-docker-'));
  const peer = await startDockerd(dir);
  if (peer) {
    try {
      const rootfs = join(dir, 'rootfs');
      makeBusyboxRootfs(rootfs);
      execFileSync('tar', ['-C', rootfs, '-cf', join(dir, 'rootfs.tar'), '.']);
      docker(peer.socket, 'import', '--change', 'CMD ["sh"]', join(dir, 'rootfs.tar'), 'busybox:latest');
      const d = await measure(peer.socket, false);
      rows[0]![2] = fmtMs(d.none);
      rows[1]![2] = '(off: --iptables=false)';
      rows[2]![2] = fmtMs(d.user);
      rows[3]![2] = d.mbps.toFixed(0);
      rows[4]![2] = d.directMbps.toFixed(0);
    } finally {
      await peer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  } else rmSync(dir, { recursive: true, force: true });
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
console.log(`bench/network (median of ${N} runs, ${FETCHES} fetches of ${FILE_MIB} MiB)`);
console.log(`${'measure'.padEnd(36)}${'berth'.padEnd(14)}docker`);
for (const [k, b, d] of rows) console.log(`${k.padEnd(36)}${b.padEnd(14)}${d || 'n/a'}`);
