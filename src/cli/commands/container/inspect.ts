import type { Command } from '../../context.ts';
import { inspectObjects } from '../inspect-objects.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Print the full JSON record of containers',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: "Output format: 'json' or a Go template" },
      { name: 'size', short: 's', kind: 'bool', description: 'Add a SIZE column' },
    ],
  },
  run: (ctx, args, flags) => inspectObjects(ctx, args, { types: ['container'], format: flags.string('format'), size: flags.bool('size') }),
};
