import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { apiRequest, type ApiRequestOptions, type ApiResponse } from './api-client.ts';
import { BridgeFirewall } from '../../src/network/index.ts';
import { ownCgroups, v1Hierarchies } from '../../src/runtime/index.ts';
import { chainPrefixFor } from '../../src/daemon/network-wiring.ts';
import { workerEntries } from '../../scripts/worker-entries.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** A berthd started by a test, with its own data-root, exec-root, socket and pidfile. */
export interface TestDaemon {
  /** The scratch directory holding data/, exec/ and the socket. */
  dir: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  /** `unix://<socket>`, for DOCKER_HOST. */
  host: string;
  pidfile: string;
  process: ChildProcess;
  /** Everything berthd wrote to stderr so far (JSON log lines). */
  log(): string;
  request(path: string, options?: ApiRequestOptions): Promise<ApiResponse>;
  /** SIGTERM and wait (SIGKILL after 10 s). Keeps the directories. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would (live-restore tests). Keeps the directories. */
  kill(): Promise<void>;
  /** Stops if running, unmounts anything left under the directory and removes it. */
  cleanup(): Promise<void>;
}

export interface StartDaemonOptions {
  /** Reuse a scratch dir (start again after stop/kill: live restore). */
  dir?: string;
  /** Extra berthd flags. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** How to run berthd: default berthdCommand() (the sources, bundled once per test process). */
  command?: string[];
  /** Give up waiting for `/_ping` after this long (ms). Default 60 s. */
  readyTimeoutMs?: number;
}

let bundle: string | undefined;

/**
 * The default way to run berthd from a test: the current sources bundled by esbuild once per test
 * process (into node_modules/.cache, removed at exit), so each start costs a node start and not a
 * TypeScript compile, and no `npm run build` of the whole tree is needed.
 */
export function berthdCommand(): string[] {
  if (!bundle) {
    const cacheDir = join(root, 'node_modules', '.cache');
    mkdirSync(cacheDir, { recursive: true });
    const outdir = mkdtempSync(join(cacheDir, 'berth-test-berthd-'));
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    const r = spawnSync(
      join(root, 'node_modules', 'esbuild', 'bin', 'esbuild'),
      [
        `berthd=${join(root, 'src/cmd/berthd.ts')}`,
        // the worker threads berthd starts, bundled beside it as the build does
        ...Object.entries(workerEntries).map(([name, src]) => `${name}=${join(root, src)}`),
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--target=node20',
        '--packages=external',
        '--splitting',
        `--outdir=${outdir}`,
        '--log-level=error',
        "--banner:js=import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`bundle berthd for tests: ${r.stderr}`);
    bundle = join(outdir, 'berthd.js');
  }
  return [process.execPath, bundle];
}

/**
 * Starts a private berthd and waits until its socket answers `/_ping`. With a test context
 * (`t`), the daemon is stopped and its directory removed after the test.
 *
 *   const d = await startDaemon(t);
 *   const r = await d.request('/v1.45/info');
 */
export async function startDaemon(
  t?: { after: (fn: () => Promise<void>) => void },
  options: StartDaemonOptions = {},
): Promise<TestDaemon> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'berth-daemon-'));
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  const socket = join(dir, 'berth.sock');
  const pidfile = join(execRoot, 'berthd.pid');
  // An empty daemon.json of its own, so a machine-wide /etc/berth/daemon.json never leaks in.
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'daemon.json');
  writeFileSync(configFile, '{}\n');
  // A default bridge of its own (named and numbered from the directory, so a restart on the same
  // dir gets the same one): daemons of tests running side by side never share berth0.
  const own = !(options.args ?? []).some((a) => a === '--bridge' || a === '-b' || a.startsWith('--bridge=') || a === '--bip');
  const h = createHash('sha256').update(dir).digest();
  const bridge = `bt${h.subarray(0, 4).toString('hex')}`;
  const bridgeArgs = own ? ['--bridge', bridge, '--bip', `10.${150 + (h[4]! % 50)}.${h[5]}.1/24`] : [];
  const [cmd, ...cmdArgs] = options.command ?? berthdCommand();
  const env = { ...process.env, ...options.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  const child = spawn(
    cmd!,
    [
      ...cmdArgs,
      '--data-root', dataRoot,
      '--exec-root', execRoot,
      '--pidfile', pidfile,
      '-H', `unix://${socket}`,
      '--log-level', 'debug',
      '--config-file', configFile,
      ...bridgeArgs,
      ...(options.args ?? []),
    ],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));

  const stopWith = async (signal: NodeJS.Signals) => {
    if (!running) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const daemon: TestDaemon = {
    dir,
    dataRoot,
    execRoot,
    socket,
    host: `unix://${socket}`,
    pidfile,
    process: child,
    log: () => stderr,
    request: (path, o) => apiRequest(socket, path, o),
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    cleanup: async () => {
      await stopWith('SIGTERM');
      killMonitorsUnder(dir);
      unmountUnder(dir);
      if (own) {
        spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
        await new BridgeFirewall({ prefix: chainPrefixFor(bridge) }).teardown().catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (!running) {
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
      throw new Error(`berthd exited before it was ready (code ${await exited}):\n${stderr}`);
    }
    try {
      const r = await apiRequest(socket, '/_ping');
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await daemon.cleanup();
      throw new Error(`berthd did not answer /_ping in time:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  t?.after(() => daemon.cleanup());
  return daemon;
}

/** Lazily unmounts every mount below `dir`, deepest first, so removing it never crosses into a mount. */
export function unmountUnder(dir: string): void {
  let info = '';
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(dir + '/')))
    .map((p) => p.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p]);
}

/** Children of `pid` (all threads), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone already
  }
  return out;
}

/**
 * Kills the container monitors (berth-shim) a test daemon started under `dir`, with their
 * containers: the daemon keeps containers running when it stops (live restore), so a test's
 * cleanup must end them itself or they outlive the test.
 */
export function killMonitorsUnder(dir: string): void {
  const cgroups = new Set<string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args[0]?.endsWith('berth-shim') || !args.some((a) => a.startsWith(dir + '/'))) continue;
    const tree: number[] = [];
    const walk = (pid: number) => {
      for (const c of childrenOf(pid)) walk(c);
      tree.push(pid);
    };
    walk(Number(name));
    for (const pid of tree) {
      for (const dir of berthCgroupsOf(pid)) cgroups.add(dir);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  // the containers' cgroups, which nobody deletes once their monitors are killed: each goes as
  // soon as its last process is reaped
  const pending = new Set(cgroups);
  for (let i = 0; i < 100 && pending.size > 0; i++) {
    for (const dir of pending) {
      try {
        rmdirSync(dir);
        pending.delete(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') pending.delete(dir);
      }
    }
    if (pending.size > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/** The cgroup directories (v1 hierarchies) of `pid` under a /berth parent, as the daemon makes them. */
function berthCgroupsOf(pid: number): string[] {
  let own: Record<string, string>;
  try {
    own = ownCgroups(`/proc/${pid}/cgroup`);
  } catch {
    return []; // gone already
  }
  const mounts = v1Hierarchies();
  return Object.entries(own).flatMap(([ctrl, path]) => (mounts[ctrl] && path.startsWith('/berth/') ? [join(mounts[ctrl], path)] : []));
}
