import { StatusError, type Command } from '../../context.ts';
import { StreamPump } from '../streams.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER',
    description: "Connect this terminal's stdin, stdout and stderr to a running container",
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'detach-keys', kind: 'string', description: 'Keys that detach the terminal from the container (e.g. ctrl-p,ctrl-q)' },
      { name: 'no-stdin', kind: 'bool', description: 'Leave stdin unconnected' },
      { name: 'sig-proxy', kind: 'bool', default: true, description: 'Pass signals this client receives on to the container' },
    ],
  },
  async run(ctx, args, flags) {
    const engine = ctx.engine();
    const info = await engine.containers.inspect(args[0] as string);
    if (!info.State.Running) throw new StatusError('You cannot attach to a stopped container, start it first', 1);
    if (info.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
    const tty = Boolean(info.Config.Tty);
    const stdin = !flags.bool('no-stdin') && Boolean(info.Config.OpenStdin);
    if (tty && stdin && !ctx.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
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
    pump.startInput();
    pump.startResize();
    const handlers: [NodeJS.Signals, () => void][] = [];
    if (flags.bool('sig-proxy') && !tty) {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as NodeJS.Signals[]) {
        const h = () => void engine.containers.kill(info.Id, sig).catch(() => {});
        process.on(sig, h);
        handlers.push([sig, h]);
      }
    }
    try {
      await output;
    } finally {
      for (const [s, h] of handlers) process.off(s, h);
    }
    if (pump.detached) return 0;
    const after = await engine.containers.inspect(info.Id).catch(() => undefined);
    return after && !after.State.Running ? after.State.ExitCode : 0;
  },
};
