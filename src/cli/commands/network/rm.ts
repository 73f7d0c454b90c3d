import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: { usage: 'NETWORK [NETWORK...]', description: 'Remove one or more networks', minArgs: 1, flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Do not error if the network does not exist' }] },
  async run(ctx, args) {
    return forEachTarget(ctx, args, (n) => ctx.engine().networks.remove(n));
  },
};
