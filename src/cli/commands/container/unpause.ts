import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: { usage: 'CONTAINER [CONTAINER...]', description: 'Thaw the processes of paused containers', minArgs: 1, flags: [] },
  async run(ctx, args) {
    return forEachTarget(ctx, args, (id) => ctx.engine().containers.unpause(id));
  },
};
