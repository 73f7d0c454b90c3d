import type { Command } from '../../context.ts';
import { errorLine } from '../shared.ts';

export const command: Command = {
  spec: { usage: 'CONTAINER [CONTAINER...]', description: 'Wait for containers to exit and print each exit code', minArgs: 1, flags: [] },
  async run(ctx, args) {
    let failed = false;
    for (const id of args) {
      try {
        const r = await ctx.engine().containers.wait(id);
        ctx.out(`${r.StatusCode}\n`);
      } catch (err) {
        failed = true;
        ctx.err(errorLine(err) + '\n');
      }
    }
    return failed ? 1 : 0;
  },
};
