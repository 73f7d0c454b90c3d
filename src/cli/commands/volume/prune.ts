import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { humanSize } from '../../format/humanize.ts';
import { confirm } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Delete volumes no container uses (only anonymous ones unless --all)',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Also delete named volumes no container uses' },
      { name: 'filter', kind: 'list', description: 'Only act on volumes matching this filter (e.g. "label=<label>")' },
      { name: 'force', short: 'f', kind: 'bool', description: 'Go ahead without asking' },
    ],
  },
  async run(ctx, _args, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?'))) return 0;
    const pairs = flags.list('filter');
    if (flags.bool('all')) pairs.push('all=true');
    const r = await ctx.engine().volumes.prune(toFilters(pairs));
    const deleted = r.VolumesDeleted ?? [];
    if (deleted.length) ctx.out('Deleted Volumes:\n' + deleted.map((d) => d + '\n').join('') + '\n');
    ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
