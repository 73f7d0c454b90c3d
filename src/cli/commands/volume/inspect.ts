import type { Command } from '../../context.ts';
import { inspectObjects } from '../inspect-objects.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Print the full JSON record of volumes',
    minArgs: 1,
    flags: [{ name: 'format', short: 'f', kind: 'string', description: "Output format: 'json' or a Go template" }],
  },
  run: (ctx, args, flags) => inspectObjects(ctx, args, { types: ['volume'], format: flags.string('format') }),
};
