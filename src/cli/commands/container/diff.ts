import type { Command } from '../../context.ts';

const kinds = ['C', 'A', 'D'];

export const command: Command = {
  spec: { usage: 'CONTAINER', description: "Inspect changes to files or directories on a container's filesystem", minArgs: 1, maxArgs: 1, flags: [] },
  async run(ctx, args) {
    const changes = (await ctx.engine().containers.changes(args[0] as string)) ?? [];
    for (const c of changes) ctx.out(`${kinds[c.Kind] ?? '?'} ${c.Path}\n`);
    return 0;
  },
};
