import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { defaultImageFormat, imageHeaders, imageRows } from '../../format/image-rows.ts';
import { configuredFormat, filterFlag, formatFlag, formatOption } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    description: 'Show the images in the local store',
    maxArgs: 1,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Include intermediate images too' },
      { name: 'digests', kind: 'bool', description: 'Add a DIGEST column' },
      filterFlag,
      formatFlag,
      { name: 'no-trunc', kind: 'bool', description: 'Print IDs and values in full' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print only image IDs' },
    ],
  },
  async run(ctx, args, flags) {
    const filterArgs = flags.list('filter');
    if (args[0]) filterArgs.push(`reference=${args[0]}`);
    const filters = toFilters(filterArgs);
    const images = await ctx.engine().images.list({ all: flags.bool('all'), digests: flags.bool('digests'), ...(filters ? { filters } : {}) });
    const rows = imageRows(images, { trunc: !flags.bool('no-trunc') });
    if (flags.bool('quiet')) {
      const seen = new Set<string>();
      for (const r of rows) {
        const id = r.ID as string;
        if (!seen.has(id)) ctx.out(id + '\n');
        seen.add(id);
      }
      return 0;
    }
    ctx.out(formatRows(formatOption(flags) || configuredFormat(ctx, 'imagesFormat') || defaultImageFormat(flags.bool('digests')), rows, imageHeaders));
    return 0;
  },
};
