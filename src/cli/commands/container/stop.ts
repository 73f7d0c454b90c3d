import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Ask running containers to exit, killing them after a grace period',
    minArgs: 1,
    flags: [
      { name: 'signal', short: 's', kind: 'string', description: 'Signal to send' },
      { name: 'time', short: 't', kind: 'int', aliases: ['timeout'], description: 'Seconds to wait for a clean exit before killing' },
    ],
  },
  async run(ctx, args, flags) {
    const timeout = flags.int('time');
    const signal = flags.string('signal');
    return forEachTarget(ctx, args, (id) =>
      ctx.engine().containers.stop(id, { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) }),
    );
  },
};
