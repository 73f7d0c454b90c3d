import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Send a signal (SIGKILL unless told otherwise) to running containers',
    minArgs: 1,
    flags: [{ name: 'signal', short: 's', kind: 'string', description: 'Signal to send' }],
  },
  async run(ctx, args, flags) {
    const signal = flags.string('signal');
    return forEachTarget(ctx, args, (id) => ctx.engine().containers.kill(id, signal || undefined));
  },
};
