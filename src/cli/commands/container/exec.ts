import { StatusError, type Command } from '../../context.ts';
import { parseEnvFile, parseEnvList } from '../../opts/container-options.ts';
import { StreamPump } from '../streams.ts';
import { readFileSync } from 'node:fs';
import { isDaemonError } from '../../../client/index.ts';
import { startFailureStatus } from './run.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Start an extra process inside a running container',
    minArgs: 2,
    interspersed: false,
    flags: [
      { name: 'detach', short: 'd', kind: 'bool', description: 'Start the command and return at once' },
      { name: 'detach-keys', kind: 'string', description: 'Keys that detach the terminal from the container (e.g. ctrl-p,ctrl-q)' },
      { name: 'env', short: 'e', kind: 'list', description: 'Environment variable to set (KEY=VALUE, or KEY to copy it from here)' },
      { name: 'env-file', kind: 'list', description: 'File of KEY=VALUE lines to add to the environment' },
      { name: 'interactive', short: 'i', kind: 'bool', description: 'Keep stdin open, even with nothing attached' },
      { name: 'privileged', kind: 'bool', description: 'Run the command with extended privileges' },
      { name: 'tty', short: 't', kind: 'bool', description: 'Give the process a terminal' },
      { name: 'user', short: 'u', kind: 'string', description: 'User to run as: <name|uid>[:<group|gid>]' },
      { name: 'workdir', short: 'w', kind: 'string', description: 'Directory the process starts in' },
    ],
  },
  async run(ctx, args, flags) {
    const [container, ...cmd] = args as [string, ...string[]];
    const engine = ctx.engine();
    const detach = flags.bool('detach');
    const tty = flags.bool('tty');
    const stdin = flags.bool('interactive') && !detach;
    if (tty && stdin && !ctx.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
    const env = [
      ...flags.list('env-file').flatMap((p) => parseEnvFile(readFileSync(p, 'utf8'), p, ctx.env)),
      ...parseEnvList(flags.list('env'), ctx.env),
    ];
    const user = flags.string('user');
    const workdir = flags.string('workdir');
    const detachKeys = flags.string('detach-keys');
    const out = ctx.stdout;
    const { Id: execId } = await engine.exec.create(container, {
      Cmd: cmd,
      Tty: tty,
      AttachStdin: stdin,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Privileged: flags.bool('privileged'),
      ...(env.length ? { Env: env } : {}),
      ...(user ? { User: user } : {}),
      ...(workdir ? { WorkingDir: workdir } : {}),
      ...(detachKeys ? { DetachKeys: detachKeys } : {}),
      ...(tty && out.isTTY && out.rows && out.columns ? { ConsoleSize: [out.rows, out.columns] as [number, number] } : {}),
    });
    if (detach) {
      await engine.exec.startDetached(execId, { tty });
      return 0;
    }
    let hijacked;
    try {
      hijacked = await engine.exec.startAttached(execId, { tty });
    } catch (err) {
      if (isDaemonError(err)) throw new StatusError(`Error response from daemon: ${err.message}`, startFailureStatus(err.message));
      throw err;
    }
    const pump = new StreamPump(ctx, hijacked, {
      tty,
      stdin,
      detachKeys: detachKeys ?? 'ctrl-p,ctrl-q',
      resize: (h, w) => engine.exec.resize(execId, h, w),
    });
    const output = pump.output();
    pump.startInput();
    pump.startResize();
    let streamError: string | undefined;
    try {
      await output;
    } catch (err) {
      // The daemon reports a process that could not start as a system-error frame.
      streamError = err instanceof Error ? err.message : String(err);
      ctx.err(streamError + '\n');
    }
    if (pump.detached) return 0;
    // The exit code lands shortly after the stream closes.
    for (let i = 0; i < 100; i++) {
      const info = await engine.exec.inspect(execId);
      if (!info.Running && info.ExitCode !== null) {
        if (streamError && info.ExitCode === 0) return startFailureStatus(streamError);
        return info.ExitCode;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return streamError ? startFailureStatus(streamError) : 0;
  },
};
