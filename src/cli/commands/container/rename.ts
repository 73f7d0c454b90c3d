import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';

export const command: Command = {
  spec: { usage: 'CONTAINER NEW_NAME', description: 'Give a container a new name', minArgs: 2, maxArgs: 2, flags: [] },
  async run(ctx, args) {
    const [id, name] = args as [string, string];
    if (!name.trim()) throw new UsageError('Error: new name cannot be blank');
    await ctx.engine().containers.rename(id, name);
    return 0;
  },
};
