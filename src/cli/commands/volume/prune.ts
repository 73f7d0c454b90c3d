import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { humanSize } from '../../format/humanize.ts';
import { confirm } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Remove unused local volumes',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
      { name: 'filter', kind: 'list', description: 'Provide filter values (e.g. "label=<label>")' },
      { name: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
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
