import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Restart one or more containers',
    minArgs: 1,
    flags: [
      { name: 'signal', short: 's', kind: 'string', description: 'Signal to send to the container' },
      { name: 'time', short: 't', kind: 'int', aliases: ['timeout'], description: 'Seconds to wait before killing the container' },
    ],
  },
  async run(ctx, args, flags) {
    const timeout = flags.int('time');
    const signal = flags.string('signal');
    return forEachTarget(ctx, args, (id) =>
      ctx.engine().containers.restart(id, { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) }),
    );
  },
};
