import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { shortId } from '../../format/humanize.ts';
import { configuredFormat, filterFlag, formatFlag, formatOption } from '../shared.ts';

const headers = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED', Label: () => 'LABEL' };

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Show the networks Berth manages',
    maxArgs: 0,
    flags: [
      filterFlag,
      formatFlag,
      { name: 'no-trunc', kind: 'bool', description: 'Print IDs and values in full' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print only network IDs' },
    ],
  },
  async run(ctx, _args, flags) {
    const list = await ctx.engine().networks.list(toFilters(flags.list('filter')));
    const trunc = !flags.bool('no-trunc');
    const rows = [...list]
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map((n) => {
        const labels = n.Labels ?? {};
        const row: Record<string, unknown> = {
          CreatedAt: n.Created ?? '',
          Driver: n.Driver,
          ID: trunc ? shortId(n.Id) : n.Id,
          IPv6: String(Boolean(n.EnableIPv6)),
          Internal: String(Boolean(n.Internal)),
          Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
          Name: n.Name,
          Scope: n.Scope,
        };
        Object.defineProperty(row, 'Label', { value: (k: unknown) => labels[String(k)] ?? '', enumerable: false });
        return row;
      });
    const format = flags.bool('quiet') ? '{{.ID}}' : formatOption(flags) || configuredFormat(ctx, 'networksFormat') || 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
    ctx.out(formatRows(format, rows, headers));
    return 0;
  },
};
