import type { EventMessage } from '../../../api/types/index.ts';
import { jsonStream, toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { formatValue } from '../../format/formatter.ts';
import { toUnixTimestamp } from '../container/logs.ts';
import { filterFlag, formatFlag } from '../shared.ts';

/** Docker's event line: `2024-01-02T03:04:05.123456789Z container start <id> (image=x, name=y)`. */
export function eventLine(e: EventMessage): string {
  const ns = BigInt(e.timeNano ?? e.time * 1e9);
  const ms = Number(ns / 1000000n);
  const frac = String(ns % 1000000000n).padStart(9, '0');
  const when = new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
  const attrs = Object.entries(e.Actor?.Attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${when} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}${attrs ? ` (${attrs})` : ''}`;
}

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Stream what happens in the daemon as it happens',
    maxArgs: 0,
    flags: [
      filterFlag,
      formatFlag,
      { name: 'since', kind: 'string', description: 'Replay events from this time on' },
      { name: 'until', kind: 'string', description: 'Stop streaming at this time' },
    ],
  },
  async run(ctx, _args, flags) {
    const since = flags.string('since');
    const until = flags.string('until');
    const filters = toFilters(flags.list('filter'));
    const res = await ctx.engine().system.events({
      ...(since ? { since: toUnixTimestamp(since) } : {}),
      ...(until ? { until: toUnixTimestamp(until) } : {}),
      ...(filters ? { filters } : {}),
    });
    const format = flags.string('format');
    for await (const e of jsonStream<EventMessage>(res)) {
      ctx.out((format ? formatValue(format, e) : eventLine(e)) + '\n');
    }
    return 0;
  },
};
