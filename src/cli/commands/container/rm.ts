import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    minArgs: 1,
    flags: [
      { name: 'force', short: 'f', kind: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
      { name: 'link', short: 'l', kind: 'bool', description: 'Remove the specified link' },
      { name: 'volumes', short: 'v', kind: 'bool', description: 'Remove anonymous volumes associated with the container' },
    ],
  },
  async run(ctx, args, flags) {
    return forEachTarget(ctx, args, (id) =>
      ctx.engine().containers.remove(id, { force: flags.bool('force'), volumes: flags.bool('volumes'), link: flags.bool('link') }),
    );
  },
};
