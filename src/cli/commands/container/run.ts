import type { ContainerWaitResponse } from '../../../api/types/index.ts';
import { isDaemonError } from '../../../client/index.ts';
import { messageOf } from '../../../lib/index.ts';
import { StatusError, type Command, type CliContext } from '../../context.ts';
import type { ParsedFlags } from '../../parse/flags.ts';
import { containerFlags } from '../../opts/container-options.ts';
import { createContainer, parseContainer } from './create-container.ts';
import { StreamPump } from '../streams.ts';

const proxiedSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Docker's exit status for a failed start: 127 not found, 126 cannot invoke, else 125. */
export function startFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory|cannot find the file specified/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 125;
}

export const command: Command = {
  spec: {
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Start a fresh container from an image and run its command',
    minArgs: 1,
    interspersed: false,
    flags: [
      { name: 'detach', short: 'd', kind: 'bool', description: 'Leave the container running in the background and print its ID' },
      { name: 'sig-proxy', kind: 'bool', default: true, description: 'Pass signals this client receives on to the container' },
      ...containerFlags,
    ],
  },
  run: runContainer,
};

async function runContainer(ctx: CliContext, args: string[], flags: ParsedFlags): Promise<number> {
  const detach = flags.bool('detach');
  const parsed = parseContainer(ctx, flags, args, detach);
  const body = parsed.body;
  if (body.Tty && body.AttachStdin && !ctx.stdin.isTTY) {
    throw new StatusError('the input device is not a TTY', 1);
  }
  const engine = ctx.engine();
  const id = await createContainer(ctx, parsed, { quiet: flags.bool('quiet') });
  const detachKeys = flags.string('detach-keys');

  if (detach) {
    await startOrExplain(ctx, id, detachKeys);
    ctx.out(id + '\n');
    return 0;
  }

  const tty = Boolean(body.Tty);
  const hijacked = await engine.containers.attach(id, {
    stream: true,
    stdin: Boolean(body.AttachStdin),
    stdout: Boolean(body.AttachStdout),
    stderr: Boolean(body.AttachStderr),
    ...(detachKeys ? { detachKeys } : {}),
  });
  const pump = new StreamPump(ctx, hijacked, {
    tty,
    stdin: Boolean(body.AttachStdin),
    detachKeys: detachKeys ?? 'ctrl-p,ctrl-q',
    resize: (h, w) => engine.containers.resize(id, h, w),
  });
  const autoRemove = Boolean(body.HostConfig?.AutoRemove);
  // Register the wait before start so a fast exit is not missed.
  let waiting: Promise<ContainerWaitResponse>;
  try {
    waiting = (await engine.containers.waitRegistered(id, autoRemove ? 'removed' : 'next-exit')).result;
  } catch (err) {
    pump.close();
    throw err;
  }
  waiting.catch(() => {});
  const output = pump.output();
  output.catch(() => {});

  pump.startInput();
  try {
    await startOrExplain(ctx, id, detachKeys);
  } catch (err) {
    pump.close();
    throw err;
  }
  pump.startResize();

  const sigProxy = flags.bool('sig-proxy') && !tty;
  const handlers: [NodeJS.Signals, () => void][] = [];
  if (sigProxy) {
    for (const sig of proxiedSignals) {
      const h = () => void engine.containers.kill(id, sig).catch(() => {});
      process.on(sig, h);
      handlers.push([sig, h]);
    }
  }
  try {
    await output;
    if (pump.detached) return 0;
    const result = await waiting.catch((err) => {
      // A detach (the daemon closes the stream) or a removed container leaves nothing to wait for.
      if (isDaemonError(err) && err.status === 404) return { StatusCode: 0 } as ContainerWaitResponse;
      throw err;
    });
    if (result.Error?.Message) ctx.err(`${ctx.program}: ${result.Error.Message}\n`);
    return result.StatusCode;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

async function startOrExplain(ctx: CliContext, id: string, detachKeys: string | undefined): Promise<void> {
  try {
    await ctx.engine().containers.start(id, detachKeys ? { detachKeys } : {});
  } catch (err) {
    if (!isDaemonError(err)) throw err;
    const status = startFailureStatus(err.message);
    throw new StatusError(`${ctx.program}: Error response from daemon: ${messageOf(err)}`, status);
  }
}
