import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { containerHeaders, containerRow, defaultPsFormat } from '../../format/container-rows.ts';
import { configuredFormat, filterFlag, formatFlag, formatOption } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'List containers',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Show all containers (default shows just running)' },
      filterFlag,
      formatFlag,
      { name: 'last', short: 'n', kind: 'int', default: -1, description: 'Show n last created containers (includes all states)' },
      { name: 'latest', short: 'l', kind: 'bool', description: 'Show the latest created container (includes all states)' },
      { name: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display container IDs' },
      { name: 'size', short: 's', kind: 'bool', description: 'Display total file sizes' },
    ],
  },
  async run(ctx, _args, flags) {
    let limit = flags.int('last') ?? -1;
    if (flags.bool('latest')) limit = 1;
    const format = formatOption(flags) || configuredFormat(ctx, 'psFormat');
    const quiet = flags.bool('quiet');
    let fmt = format || (quiet ? '{{.ID}}' : defaultPsFormat);
    if (quiet && format) fmt = '{{.ID}}';
    const size = flags.bool('size') || (!quiet && /\.Size\b/.test(fmt));
    if (!format && !quiet && flags.bool('size')) fmt += '\t{{.Size}}';
    const list = await ctx.engine().containers.list({
      all: flags.bool('all') || limit > 0,
      ...(limit > 0 ? { limit } : {}),
      size,
      ...(toFilters(flags.list('filter')) ? { filters: toFilters(flags.list('filter'))! } : {}),
    });
    const trunc = !flags.bool('no-trunc');
    const now = Date.now();
    const rows = list.map((c) => containerRow(c, { trunc, now }));
    ctx.out(formatRows(fmt, rows, containerHeaders));
    return 0;
  },
};
