import type { Command } from '../../context.ts';

const kinds = ['C', 'A', 'D'];

export const command: Command = {
  spec: { usage: 'CONTAINER', description: 'Show which files a container added, changed or deleted', minArgs: 1, maxArgs: 1, flags: [] },
  async run(ctx, args) {
    const changes = (await ctx.engine().containers.changes(args[0] as string)) ?? [];
    for (const c of changes) ctx.out(`${kinds[c.Kind] ?? '?'} ${c.Path}\n`);
    return 0;
  },
};
