import type { Command } from '../../context.ts';
import { alignColumns } from '../../format/tab-writer.ts';

export const command: Command = {
  spec: { usage: 'CONTAINER [ps OPTIONS]', description: 'List the processes running inside a container', minArgs: 1, interspersed: false, flags: [] },
  async run(ctx, args) {
    const [id, ...ps] = args as [string, ...string[]];
    const r = await ctx.engine().containers.top(id, ps.length ? ps.join(' ') : undefined);
    const lines = [r.Titles.join('\t'), ...r.Processes.map((p) => p.join('\t'))];
    ctx.out(alignColumns(lines.join('\n') + '\n', { minWidth: 20, padding: 3 }));
    return 0;
  },
};
