import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { StatusError, type Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Write images to a tar archive (on stdout unless -o is given)',
    minArgs: 1,
    flags: [{ name: 'output', short: 'o', kind: 'string', description: 'File to write to instead of stdout' }],
  },
  async run(ctx, args, flags) {
    const output = flags.string('output');
    if (!output && ctx.stdout.isTTY) throw new StatusError('Error: cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    const res = await ctx.engine().images.save(args);
    await pipeline(res, output ? createWriteStream(output) : ctx.stdout, { end: Boolean(output) });
    return 0;
  },
};
