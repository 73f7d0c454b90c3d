import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes',
    minArgs: 1,
    flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Force the removal of one or more volumes' }],
  },
  async run(ctx, args, flags) {
    return forEachTarget(ctx, args, (name) => ctx.engine().volumes.remove(name, { force: flags.bool('force') }));
  },
};
