import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { confirm } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Delete every network no container is attached to',
    maxArgs: 0,
    flags: [
      { name: 'filter', kind: 'list', description: 'Only act on objects matching this filter (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', description: 'Go ahead without asking' },
    ],
  },
  async run(ctx, _args, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?'))) return 0;
    const r = await ctx.engine().networks.prune(toFilters(flags.list('filter')));
    const deleted = r.NetworksDeleted ?? [];
    if (deleted.length) ctx.out('Deleted Networks:\n' + deleted.map((d) => d + '\n').join(''));
    return 0;
  },
};
