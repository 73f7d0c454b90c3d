import type { Command } from '../../context.ts';
import { inspectObjects } from '../inspect-objects.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Print the full JSON record of networks',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: "Output format: 'json' or a Go template" },
      { name: 'verbose', short: 'v', kind: 'bool', description: 'Include extra diagnostic detail' },
    ],
  },
  run: (ctx, args, flags) => inspectObjects(ctx, args, { types: ['network'], format: flags.string('format') }),
};
