import type { Command } from '../../context.ts';
import { authKey, eraseAuth } from '../../config/docker-config.ts';

export const command: Command = {
  spec: {
    usage: '[SERVER]',
    description: 'Forget the stored credentials for a registry (default registry if none is named)',
    maxArgs: 1,
    flags: [],
  },
  async run(ctx, args) {
    const server = (args[0] ?? 'docker.io').replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const key = authKey(server);
    const found = await eraseAuth(ctx.configDir, server);
    if (!found) {
      ctx.out(`Not logged in to ${key}\n`);
      return 0;
    }
    ctx.out(`Removing login credentials for ${key}\n`);
    return 0;
  },
};
