import type { Command } from '../../context.ts';
import { errorLine } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Untag and delete images',
    minArgs: 1,
    flags: [
      { name: 'force', short: 'f', kind: 'bool', description: 'Delete even if the image is in use or has several tags' },
      { name: 'no-prune', kind: 'bool', description: 'Keep parent images left without a tag' },
    ],
  },
  async run(ctx, args, flags) {
    let failed = false;
    for (const name of args) {
      try {
        const items = await ctx.engine().images.remove(name, { force: flags.bool('force'), noprune: flags.bool('no-prune') });
        for (const it of items ?? []) {
          if (it.Untagged) ctx.out(`Untagged: ${it.Untagged}\n`);
          if (it.Deleted) ctx.out(`Deleted: ${it.Deleted}\n`);
        }
      } catch (err) {
        failed = true;
        ctx.err(errorLine(err) + '\n');
      }
    }
    return failed ? 1 : 0;
  },
};
