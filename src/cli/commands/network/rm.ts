import type { Command } from '../../context.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: { usage: 'NETWORK [NETWORK...]', description: 'Delete networks', minArgs: 1, flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Succeed even when a network is missing' }] },
  async run(ctx, args) {
    return forEachTarget(ctx, args, (n) => ctx.engine().networks.remove(n));
  },
};
