import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Delete volumes',
    minArgs: 1,
    flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Succeed even when a volume is missing' }],
  },
  async run(ctx, args, flags) {
    return forEachTarget(ctx, args, (name) => ctx.engine().volumes.remove(name, { force: flags.bool('force') }));
  },
};
