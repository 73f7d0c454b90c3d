import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Delete containers',
    minArgs: 1,
    flags: [
      { name: 'force', short: 'f', kind: 'bool', description: 'Kill and delete even a running container' },
      { name: 'link', short: 'l', kind: 'bool', description: 'Remove a legacy link instead of a container' },
      { name: 'volumes', short: 'v', kind: 'bool', description: "Also delete the container's anonymous volumes" },
    ],
  },
  async run(ctx, args, flags) {
    return forEachTarget(ctx, args, (id) =>
      ctx.engine().containers.remove(id, { force: flags.bool('force'), volumes: flags.bool('volumes'), link: flags.bool('link') }),
    );
  },
};
