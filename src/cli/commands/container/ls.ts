import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { containerHeaders, containerRow, defaultPsFormat } from '../../format/container-rows.ts';
import { configuredFormat, filterFlag, formatFlag, formatOption } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Show containers (running ones unless --all)',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Include containers that are not running' },
      filterFlag,
      formatFlag,
      { name: 'last', short: 'n', kind: 'int', default: -1, description: 'Show the n most recently created containers, whatever their state' },
      { name: 'latest', short: 'l', kind: 'bool', description: 'Show the most recently created container, whatever its state' },
      { name: 'no-trunc', kind: 'bool', description: 'Print IDs and values in full' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print only container IDs' },
      { name: 'size', short: 's', kind: 'bool', description: 'Add a SIZE column' },
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
