import { StatusError, type Command } from '../../context.ts';
import { StreamPump } from '../streams.ts';
import { forEachTarget } from '../shared.ts';
import { UsageError } from '../../parse/flags.ts';
import { startFailureStatus } from './run.ts';
import { isDaemonError } from '../../../client/index.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Boot containers that are created or stopped',
    minArgs: 1,
    flags: [
      { name: 'attach', short: 'a', kind: 'bool', description: 'Stream the output here and pass signals on' },
      { name: 'interactive', short: 'i', kind: 'bool', description: 'Connect this stdin to the container' },
      { name: 'detach-keys', kind: 'string', description: 'Keys that detach the terminal from the container (e.g. ctrl-p,ctrl-q)' },
    ],
  },
  async run(ctx, args, flags) {
    const attach = flags.bool('attach') || flags.bool('interactive');
    if (!attach) {
      return forEachTarget(ctx, args, async (id) => {
        await ctx.engine().containers.start(id);
      });
    }
    if (args.length > 1) throw new UsageError('you cannot start and attach multiple containers at once');
    const engine = ctx.engine();
    const id = args[0] as string;
    const info = await engine.containers.inspect(id);
    const tty = Boolean(info.Config.Tty);
    const stdin = flags.bool('interactive') && Boolean(info.Config.OpenStdin);
    const detachKeys = flags.string('detach-keys');
    const hijacked = await engine.containers.attach(info.Id, {
      stream: true,
      stdin,
      stdout: true,
      stderr: true,
      ...(detachKeys ? { detachKeys } : {}),
    });
    const pump = new StreamPump(ctx, hijacked, {
      tty,
      stdin,
      detachKeys: detachKeys ?? 'ctrl-p,ctrl-q',
      resize: (h, w) => engine.containers.resize(info.Id, h, w),
    });
    const output = pump.output();
    output.catch(() => {});
    pump.startInput();
    const waiting = (await engine.containers.waitRegistered(info.Id, 'next-exit')).result;
    waiting.catch(() => {});
    try {
      await engine.containers.start(info.Id, detachKeys ? { detachKeys } : {});
    } catch (err) {
      pump.close();
      if (isDaemonError(err)) throw new StatusError(`Error response from daemon: ${err.message}`, startFailureStatus(err.message) === 125 ? 1 : startFailureStatus(err.message));
      throw err;
    }
    pump.startResize();
    await output;
    if (pump.detached) return 0;
    const result = await waiting;
    return result.StatusCode;
  },
};
