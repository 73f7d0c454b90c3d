import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Kill one or more running containers',
    minArgs: 1,
    flags: [{ name: 'signal', short: 's', kind: 'string', description: 'Signal to send to the container' }],
  },
  async run(ctx, args, flags) {
    const signal = flags.string('signal');
    return forEachTarget(ctx, args, (id) => ctx.engine().containers.kill(id, signal || undefined));
  },
};
