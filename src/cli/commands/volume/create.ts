import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { keyValueMap } from '../../opts/key-values.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] [VOLUME]',
    description: 'Make a new named volume',
    maxArgs: 1,
    flags: [
      { name: 'driver', short: 'd', kind: 'string', default: 'local', description: 'Volume driver to use' },
      { name: 'label', kind: 'list', description: 'Label to attach to the volume (key=value)' },
      { name: 'name', kind: 'string', description: 'Name for the volume', hidden: true },
      { name: 'opt', short: 'o', kind: 'list', valueName: 'map', description: 'Setting passed to the driver (key=value)' },
    ],
  },
  async run(ctx, args, flags) {
    const flagName = flags.string('name');
    if (flagName && args[0] && flagName !== args[0]) throw new UsageError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
    const name = args[0] ?? flagName;
    const v = await ctx.engine().volumes.create({
      ...(name ? { Name: name } : {}),
      Driver: flags.string('driver') ?? 'local',
      DriverOpts: keyValueMap(flags.list('opt')),
      Labels: keyValueMap(flags.list('label')),
    });
    ctx.out(v.Name + '\n');
    return 0;
  },
};
