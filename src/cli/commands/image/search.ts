import type { ImageSearchResult } from '../../../api/types/index.ts';
import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { formatRows } from '../../format/formatter.ts';
import { ellipsis } from '../../format/humanize.ts';
import { filterFlag, formatFlag, formatOption } from '../shared.ts';
import { registryAuthFor } from './pull-image.ts';

const headers = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL', IsAutomated: 'AUTOMATED' };

export const command: Command = {
  spec: {
    usage: '[OPTIONS] TERM',
    description: 'Search a registry for images',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { ...filterFlag, description: 'Only show results matching this filter: is-official=true, stars=N' },
      formatFlag,
      { name: 'limit', kind: 'string', description: 'Most results to show (default 25)' },
      { name: 'no-trunc', kind: 'bool', description: 'Print descriptions in full' },
    ],
  },
  async run(ctx, args, flags) {
    const term = args[0] as string;
    const limitRaw = flags.string('limit');
    const limit = limitRaw === undefined || limitRaw === '' ? undefined : Number(limitRaw);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new UsageError(`invalid argument ${JSON.stringify(limitRaw)} for "--limit" flag: must be a number`);
    const filters = toFilters(flags.list('filter'));
    const results = await ctx.engine().client.json<ImageSearchResult[]>('GET', '/images/search', {
      query: { term, limit: limit || undefined, filters },
      headers: { 'X-Registry-Auth': await registryAuthFor(ctx, term) },
    });
    const trunc = !flags.bool('no-trunc');
    const rows = results.map((r) => {
      const desc = r.description.replace(/\n/g, ' ');
      return {
        Name: r.name,
        Description: trunc ? ellipsis(desc, 45) : desc,
        StarCount: String(r.star_count),
        IsOfficial: r.is_official ? '[OK]' : '',
        IsAutomated: r.is_automated ? '[OK]' : '',
      };
    });
    ctx.out(formatRows(formatOption(flags) || 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}', rows, headers));
    return 0;
  },
};
