import { copyTo, demuxTo } from '../../../client/index.ts';
import type { Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER',
    description: 'Print what a container wrote to stdout and stderr',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'details', kind: 'bool', description: 'Add the attributes the log driver recorded' },
      { name: 'follow', short: 'f', kind: 'bool', description: 'Keep printing new output as it arrives' },
      { name: 'since', kind: 'string', description: 'Start from this time: a timestamp like "2024-05-01T10:00:00Z" or a span like "42m" ago' },
      { name: 'tail', short: 'n', kind: 'string', default: 'all', description: 'How many lines to print from the end ("all" for everything)' },
      { name: 'timestamps', short: 't', kind: 'bool', description: 'Prefix each line with its time' },
      { name: 'until', kind: 'string', description: 'Stop at this time: a timestamp like "2024-05-01T10:00:00Z" or a span like "42m" ago' },
    ],
  },
  async run(ctx, args, flags) {
    const engine = ctx.engine();
    const info = await engine.containers.inspect(args[0] as string);
    const since = flags.string('since');
    const until = flags.string('until');
    const res = await engine.containers.logs(info.Id, {
      follow: flags.bool('follow'),
      timestamps: flags.bool('timestamps'),
      tail: flags.string('tail') ?? 'all',
      ...(since ? { since: toUnixTimestamp(since) } : {}),
      ...(until ? { until: toUnixTimestamp(until) } : {}),
    });
    if (info.Config.Tty) await copyTo(res, ctx.stdout);
    else await demuxTo(res, ctx.stdout, ctx.stderr);
    return 0;
  },
};

/**
 * Docker's GetTimestamp: a relative duration (`42m`, `1h30m`) counts back from now; RFC 3339
 * dates and unix seconds pass as unix seconds.
 */
export function toUnixTimestamp(value: string, now: number = Date.now()): string {
  const rel = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)((?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h))*)$/.exec(value);
  if (rel) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) {
      const n = Number(m[1]);
      const unit = m[2] as string;
      ms += n * ({ ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 }[unit] ?? 0);
    }
    return ((now - ms) / 1000).toFixed(9);
  }
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return value;
  return (t / 1000).toFixed(9);
}
