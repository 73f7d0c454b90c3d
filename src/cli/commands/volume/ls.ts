import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { configuredFormat, filterFlag, formatFlag, formatOption } from '../shared.ts';

const headers = { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', CreatedAt: 'CREATED AT', Label: () => 'LABEL' };

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Show the volumes Berth manages',
    maxArgs: 0,
    flags: [filterFlag, formatFlag, { name: 'quiet', short: 'q', kind: 'bool', description: 'Print only volume names' }],
  },
  async run(ctx, _args, flags) {
    const filters = toFilters(flags.list('filter'));
    const r = await ctx.engine().volumes.list(filters);
    for (const w of r.Warnings ?? []) ctx.err(`${w}\n`);
    const rows = [...(r.Volumes ?? [])]
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map((v) => {
        const labels = v.Labels ?? {};
        const row: Record<string, unknown> = {
          CreatedAt: v.CreatedAt ?? '',
          Driver: v.Driver,
          Labels: Object.entries(labels).map(([k, val]) => `${k}=${val}`).join(','),
          Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
          Mountpoint: v.Mountpoint,
          Name: v.Name,
          Scope: v.Scope,
          Size: v.UsageData ? String(v.UsageData.Size) : 'N/A',
        };
        Object.defineProperty(row, 'Label', { value: (k: unknown) => labels[String(k)] ?? '', enumerable: false });
        return row;
      });
    const format = flags.bool('quiet') ? '{{.Name}}' : formatOption(flags) || configuredFormat(ctx, 'volumesFormat') || 'table {{.Driver}}\t{{.Name}}';
    ctx.out(formatRows(format, rows, headers));
    return 0;
  },
};
