// berth-runtime: a runc-compatible OCI runtime CLI over the runtime library (src/runtime/).
import { appendFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger, errorCode, invalidArgument, messageOf, alreadyExists, type Logger } from '../lib/index.ts';
import { Runtime, defaultSpec, parseSignal, validateSpec, type Process } from '../runtime/index.ts';

const program = new Command('berth-runtime')
  .description('run OCI containers (a runc-compatible CLI)')
  .option('--root <dir>', 'root directory for container state', '/run/berth-runtime')
  .option('--log <file>', 'log file (default stderr)')
  .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']).default('text'))
  .option('--debug', 'debug logging')
  .option('--systemd-cgroup', 'accepted for compatibility; ignored')
  .enablePositionalOptions()
  .showHelpAfterError();

function logger(): Logger {
  const o = program.opts<{ log?: string; logFormat: 'text' | 'json'; debug?: boolean }>();
  const write = o.log ? (line: string) => appendFileSync(o.log as string, line) : (line: string) => process.stderr.write(line);
  return createLogger({ format: o.logFormat, level: o.debug ? 'debug' : 'warn', write });
}

function runtime(): Runtime {
  return new Runtime({ root: program.opts<{ root: string }>().root, logger: logger() });
}

let exitCode = 0;

/**
 * Foreground with a terminal and no console socket (runc's own proxy): the monitor holds the pty,
 * this process relays its stdin/stdout through the attach socket, in raw mode, with resizes.
 */
async function proxyTerminal(rt: Runtime, id: string, execId: string | undefined, start: () => Promise<void>): Promise<void> {
  const sock = await rt.attach(id, execId === undefined ? {} : { execId });
  let pending = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const len = pending.readUInt32BE(4);
      if (pending.length < 8 + len) break;
      (pending[0] === 2 ? process.stderr : process.stdout).write(pending.subarray(8, 8 + len));
      pending = pending.subarray(8 + len);
    }
  });
  sock.on('error', () => {});
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  const resize = () => {
    if (process.stdout.isTTY) void rt.resize(id, process.stdout.rows, process.stdout.columns, execId === undefined ? {} : { execId }).catch(() => {});
  };
  if (tty) stdin.setRawMode(true);
  stdin.on('data', (d: Buffer) => sock.write(d));
  process.stdout.on('resize', resize);
  await start();
  resize();
  await new Promise((r) => sock.on('close', r));
  if (tty) stdin.setRawMode(false);
  stdin.pause();
  stdin.destroy();
}

/** Wraps an action: errors become one line on stderr and exit status 1, never a stack trace. */
function act<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`berth-runtime: ${messageOf(err)}\n`);
      const o = program.opts<{ log?: string }>();
      if (o.log) logger().error(messageOf(err), { code: errorCode(err) });
      exitCode = exitCode || 1;
    }
  };
}

function bundleOf(opts: { bundle?: string }): string {
  return resolve(opts.bundle ?? process.cwd());
}

/** The bundle's config.json, only to look at process.terminal (the runtime validates it). */
function readBundleSpec(bundle: string): { process?: { terminal?: boolean } } {
  try {
    return JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process?: { terminal?: boolean } };
  } catch {
    return {};
  }
}

program
  .command('spec')
  .description('create a new specification file (config.json)')
  .option('-b, --bundle <dir>', 'path to the bundle')
  .option('--rootless', 'a spec for a rootless container')
  .action(
    act(async (opts: { bundle?: string; rootless?: boolean }) => {
      const path = join(bundleOf(opts), 'config.json');
      if (existsSync(path)) throw alreadyExists(`spec: ${JSON.stringify(path)} already exists`);
      writeFileSync(path, JSON.stringify(defaultSpec({ rootless: opts.rootless === true }), null, 2) + '\n');
    }),
  );

interface CreateFlags {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  detach?: boolean;
  preserveFds?: number;
}

/** --preserve-fds N: this process's fds 3..3+N-1 go to the container process as the same numbers. */
function preservedFds(n: number | undefined): number[] {
  return Array.from({ length: n ?? 0 }, (_, i) => 3 + i);
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`invalid count ${JSON.stringify(value)}`);
  return n;
}

function createOptions(opts: CreateFlags) {
  const o: { bundle: string; pidFile?: string; consoleSocket?: string; extraFds?: number[] } = { bundle: bundleOf(opts) };
  if (opts.pidFile) o.pidFile = opts.pidFile;
  if (opts.consoleSocket) o.consoleSocket = opts.consoleSocket;
  if (opts.preserveFds) o.extraFds = preservedFds(opts.preserveFds);
  return o;
}

program
  .command('create')
  .description('create a container (its process waits for start)')
  .argument('<id>')
  .option('-b, --bundle <dir>', 'path to the bundle (default: current directory)')
  .option('--pid-file <file>', 'write the container pid to this file')
  .option('--console-socket <path>', 'unix socket that receives the pty master')
  .option('--preserve-fds <n>', 'pass this many extra fds (3, 4...) to the container process', parseCount)
  .option('--no-pivot', 'accepted for compatibility; ignored')
  .action(
    act(async (id: string, opts: CreateFlags) => {
      await runtime().create(id, createOptions(opts));
    }),
  );

program
  .command('start')
  .description('start a created container')
  .argument('<id>')
  .action(act(async (id: string) => runtime().start(id)));

program
  .command('run')
  .description('create and start a container; waits for its exit unless --detach')
  .argument('<id>')
  .option('-b, --bundle <dir>', 'path to the bundle (default: current directory)')
  .option('--pid-file <file>', 'write the container pid to this file')
  .option('--console-socket <path>', 'unix socket that receives the pty master')
  .option('--preserve-fds <n>', 'pass this many extra fds (3, 4...) to the container process', parseCount)
  .option('-d, --detach', 'detach from the container process')
  .option('--no-pivot', 'accepted for compatibility; ignored')
  .action(
    act(async (id: string, opts: CreateFlags) => {
      const rt = runtime();
      const bundleSpec = readBundleSpec(bundleOf(opts));
      if (bundleSpec.process?.terminal && !opts.consoleSocket && !opts.detach) {
        await rt.create(id, { ...createOptions(opts), stdio: { mode: 'log', openStdin: true } });
        try {
          await proxyTerminal(rt, id, undefined, () => rt.start(id));
          exitCode = (await rt.wait(id)).exitCode;
        } finally {
          await rt.delete(id, { force: true }).catch(() => {});
        }
        return;
      }
      const { state } = await rt.run(id, { ...createOptions(opts), detach: true });
      if (opts.detach) return;
      const forward = (sig: NodeJS.Signals) => void rt.kill(id, sig).catch(() => {});
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) process.on(s, forward);
      const exit = await rt.wait(id);
      void state;
      await rt.delete(id, { force: true }).catch(() => {});
      exitCode = exit.exitCode;
    }),
  );

program
  .command('state')
  .description('print the state of a container (OCI state JSON)')
  .argument('<id>')
  .action(
    act(async (id: string) => {
      process.stdout.write(JSON.stringify(await runtime().state(id), null, 2) + '\n');
    }),
  );

program
  .command('kill')
  .description('send a signal (default SIGTERM) to the container process')
  .argument('<id>')
  .argument('[signal]', 'name (KILL, SIGKILL) or number', 'SIGTERM')
  .option('-a, --all', 'signal every process of the container')
  .action(
    act(async (id: string, signal: string, opts: { all?: boolean }) => {
      const sig = /^\d+$/.test(signal) ? Number(signal) : signal;
      parseSignal(sig);
      await runtime().kill(id, sig, { all: opts.all === true });
    }),
  );

program
  .command('delete')
  .description('delete a container and everything it holds')
  .argument('<id>')
  .option('-f, --force', 'kill the container if it runs')
  .action(act(async (id: string, opts: { force?: boolean }) => runtime().delete(id, { force: opts.force === true })));

program
  .command('list')
  .alias('ls')
  .description('list containers')
  .option('-q, --quiet', 'print only ids')
  .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
  .action(
    act(async (opts: { quiet?: boolean; format: string }) => {
      const all = await runtime().list();
      if (opts.quiet) {
        for (const c of all) process.stdout.write(`${c.id}\n`);
      } else if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(all) + '\n');
      } else {
        const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, 'root'])];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) process.stdout.write(r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]! + 3))).join('') + '\n');
      }
    }),
  );

interface ExecFlags {
  process?: string;
  preserveFds?: number;
  tty?: boolean;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  env: string[];
  cwd?: string;
  user?: string;
  cap: string[];
  noNewPrivs?: boolean;
}

program
  .command('exec')
  .description('run a new process inside a running container')
  .passThroughOptions()
  .argument('<id>')
  .argument('[command...]')
  .option('-p, --process <file>', 'process.json with the process to run')
  .option('-t, --tty', 'allocate a pseudo-TTY')
  .option('-d, --detach', 'detach from the process')
  .option('--pid-file <file>', 'write the process pid to this file')
  .option('--console-socket <path>', 'unix socket that receives the pty master')
  .option('--preserve-fds <n>', 'pass this many extra fds (3, 4...) to the process', parseCount)
  .option('-e, --env <var>', 'set an environment variable', (v: string, p: string[]) => [...p, v], [] as string[])
  .option('--cwd <dir>', 'working directory in the container')
  .option('-u, --user <uid[:gid]>', 'user id (and group id)')
  .option('-c, --cap <cap>', 'add a capability', (v: string, p: string[]) => [...p, v], [] as string[])
  .option('--no-new-privs', 'set no_new_privs')
  .action(
    act(async (id: string, command: string[], opts: ExecFlags) => {
      const rt = runtime();
      let proc: Process;
      if (opts.process) {
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(opts.process, 'utf8'));
        } catch (err) {
          throw invalidArgument(`exec ${JSON.stringify(id)}: read process ${JSON.stringify(opts.process)}: ${messageOf(err)}`);
        }
        proc = json as Process;
      } else {
        if (command.length === 0) throw invalidArgument(`exec ${JSON.stringify(id)}: no command given (args or --process)`);
        const spec = validateSpec(JSON.parse(readFileSync(join(rt.paths(id).dir, 'config.json'), 'utf8').toString()));
        const base = spec.process ?? { user: { uid: 0, gid: 0 }, cwd: '/' };
        proc = { ...base, args: command, terminal: opts.tty === true };
        if (opts.env.length) proc.env = [...(base.env ?? []), ...opts.env];
        if (opts.cwd) proc.cwd = opts.cwd;
        if (opts.user) {
          const [u, g] = opts.user.split(':');
          proc.user = { uid: Number(u), gid: Number(g ?? 0) };
        }
        if (opts.cap.length && proc.capabilities) {
          const c = proc.capabilities;
          for (const k of ['bounding', 'effective', 'permitted'] as const) c[k] = [...(c[k] ?? []), ...opts.cap];
        }
        if (opts.noNewPrivs === false) proc.noNewPrivileges = true;
      }
      const execOpts: Parameters<Runtime['exec']>[1] = { process: proc };
      if (opts.pidFile) execOpts.pidFile = opts.pidFile;
      if (opts.consoleSocket) execOpts.consoleSocket = opts.consoleSocket;
      if (opts.preserveFds) execOpts.extraFds = preservedFds(opts.preserveFds);
      if (proc.terminal && !opts.consoleSocket && !opts.detach) {
        // the exec starts at once: relay what it writes from the attach socket, as run -t does
        execOpts.stdio = { mode: 'log', openStdin: true };
        execOpts.waitForStart = true;
        const res = await rt.exec(id, execOpts);
        await proxyTerminal(rt, id, res.execId, () => rt.startExec(id, res.execId));
        exitCode = (await res.exit).exitCode;
        return;
      }
      const res = await rt.exec(id, execOpts);
      if (opts.detach) return;
      const forward = (sig: NodeJS.Signals) => {
        try {
          process.kill(res.pid, sig);
        } catch {
          // gone
        }
      };
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
      exitCode = (await res.exit).exitCode;
    }),
  );

program
  .command('ps')
  .description('list the processes of a container')
  .argument('<id>')
  .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
  .action(
    act(async (id: string, opts: { format: string }) => {
      const pids = await runtime().ps(id);
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(pids) + '\n');
        return;
      }
      process.stdout.write('PID\tCMD\n');
      for (const pid of pids) {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        } catch {
          // exited
        }
        process.stdout.write(`${pid}\t${cmd}\n`);
      }
    }),
  );

program
  .command('pause')
  .description('freeze every process of a container')
  .argument('<id>')
  .action(act(async (id: string) => runtime().pause(id)));

program
  .command('resume')
  .description('thaw a paused container')
  .argument('<id>')
  .action(act(async (id: string) => runtime().resume(id)));

program.exitOverride((err) => {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
  process.exit(err.exitCode === 0 ? 0 : 1);
});

await program.parseAsync(process.argv);
process.stdout.write('', () => process.stderr.write('', () => process.exit(exitCode)));
