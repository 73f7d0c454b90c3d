import type { Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Take a container off a network',
    minArgs: 2,
    maxArgs: 2,
    flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Disconnect forcibly' }],
  },
  async run(ctx, args, flags) {
    const [network, container] = args as [string, string];
    await ctx.engine().networks.disconnect(network, container, flags.bool('force'));
    return 0;
  },
};
