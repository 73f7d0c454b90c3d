import { toFilters } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { humanSize } from '../../format/humanize.ts';
import { confirm } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Clean up stopped containers and unused images (and volumes with --volumes)',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Also delete tagged images no container uses' },
      { name: 'filter', kind: 'list', description: 'Only act on objects matching this filter (e.g. "label=<key>=<value>")' },
      { name: 'force', short: 'f', kind: 'bool', description: 'Go ahead without asking' },
      { name: 'volumes', kind: 'bool', description: 'Also delete unused anonymous volumes' },
    ],
  },
  async run(ctx, _args, flags) {
    const all = flags.bool('all');
    const volumes = flags.bool('volumes');
    const warn = [
      'WARNING! This will remove:',
      '  - all stopped containers',
      ...(volumes ? ['  - all anonymous volumes not used by at least one container'] : []),
      all ? '  - all images without at least one container associated to them' : '  - all dangling images',
      '',
      'Are you sure you want to continue?',
    ].join('\n');
    if (!flags.bool('force') && !(await confirm(ctx, warn))) return 0;
    const engine = ctx.engine();
    const filterPairs = flags.list('filter');
    let reclaimed = 0;
    const c = await engine.containers.prune(toFilters(filterPairs));
    reclaimed += c.SpaceReclaimed ?? 0;
    if (c.ContainersDeleted?.length) ctx.out('Deleted Containers:\n' + c.ContainersDeleted.map((d) => d + '\n').join('') + '\n');
    if (volumes) {
      const v = await engine.volumes.prune(toFilters(filterPairs));
      reclaimed += v.SpaceReclaimed ?? 0;
      if (v.VolumesDeleted?.length) ctx.out('Deleted Volumes:\n' + v.VolumesDeleted.map((d) => d + '\n').join('') + '\n');
    }
    const i = await engine.images.prune(toFilters([...filterPairs, `dangling=${all ? 'false' : 'true'}`]));
    reclaimed += i.SpaceReclaimed ?? 0;
    if (i.ImagesDeleted?.length) {
      ctx.out('Deleted Images:\n');
      for (const d of i.ImagesDeleted) {
        if (d.Untagged) ctx.out(`untagged: ${d.Untagged}\n`);
        if (d.Deleted) ctx.out(`deleted: ${d.Deleted}\n`);
      }
      ctx.out('\n');
    }
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
