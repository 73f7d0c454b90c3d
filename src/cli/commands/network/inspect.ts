import type { Command } from '../../context.ts';
import { inspectObjects } from '../inspect-objects.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Display detailed information on one or more networks',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: "Format output using a custom template: 'json' or a Go template" },
      { name: 'verbose', short: 'v', kind: 'bool', description: 'Verbose output for diagnostics' },
    ],
  },
  run: (ctx, args, flags) => inspectObjects(ctx, args, { types: ['network'], format: flags.string('format') }),
};
