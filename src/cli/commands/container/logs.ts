import { copyTo, demuxTo } from '../../../client/index.ts';
import type { Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER',
    description: 'Fetch the logs of a container',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'details', kind: 'bool', description: 'Show extra details provided to logs' },
      { name: 'follow', short: 'f', kind: 'bool', description: 'Follow log output' },
      { name: 'since', kind: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
      { name: 'tail', short: 'n', kind: 'string', default: 'all', description: 'Number of lines to show from the end of the logs' },
      { name: 'timestamps', short: 't', kind: 'bool', description: 'Show timestamps' },
      { name: 'until', kind: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
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
