import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { humanSize } from '../../format/humanize.ts';
import { confirm } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Delete images nothing uses (only untagged ones unless --all)',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Also delete tagged images no container uses' },
      { name: 'filter', kind: 'list', description: 'Only act on objects matching this filter (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', description: 'Go ahead without asking' },
    ],
  },
  async run(ctx, _args, flags) {
    const all = flags.bool('all');
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!flags.bool('force') && !(await confirm(ctx, `${warning}\nAre you sure you want to continue?`))) return 0;
    const pairs = flags.list('filter');
    pairs.push(`dangling=${all ? 'false' : 'true'}`);
    const r = await ctx.engine().images.prune(toFilters(pairs));
    const deleted = r.ImagesDeleted ?? [];
    if (deleted.length) {
      ctx.out('Deleted Images:\n');
      for (const d of deleted) {
        if (d.Untagged) ctx.out(`untagged: ${d.Untagged}\n`);
        if (d.Deleted) ctx.out(`deleted: ${d.Deleted}\n`);
      }
      ctx.out('\n');
    }
    ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
