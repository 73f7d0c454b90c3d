import type { Command } from '../../context.ts';
import { inspectObjects } from '../inspect-objects.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Display detailed information on one or more containers',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: "Format output using a custom template: 'json' or a Go template" },
      { name: 'size', short: 's', kind: 'bool', description: 'Display total file sizes' },
    ],
  },
  run: (ctx, args, flags) => inspectObjects(ctx, args, { types: ['container'], format: flags.string('format'), size: flags.bool('size') }),
};
