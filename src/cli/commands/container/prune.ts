import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { humanSize } from '../../format/humanize.ts';
import { confirm, filterFlag } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Delete every container that is not running',
    maxArgs: 0,
    flags: [
      { name: 'filter', kind: 'list', description: 'Only act on objects matching this filter (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', description: 'Go ahead without asking' },
    ],
  },
  async run(ctx, _args, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) return 0;
    const filters = toFilters(flags.list('filter'));
    const r = await ctx.engine().containers.prune(filters);
    const deleted = r.ContainersDeleted ?? [];
    if (deleted.length) ctx.out('Deleted Containers:\n' + deleted.map((d) => d + '\n').join('') + '\n');
    ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
