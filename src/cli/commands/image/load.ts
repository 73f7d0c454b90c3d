import { createReadStream } from 'node:fs';
import { jsonStream } from '../../../client/index.ts';
import { StatusError, type Command } from '../../context.ts';
import { ProgressRenderer } from '../../format/json-progress.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Read images from a tar archive (a file or stdin) into the store',
    maxArgs: 0,
    flags: [
      { name: 'input', short: 'i', kind: 'string', description: 'Tar archive to read instead of stdin' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print nothing while loading' },
    ],
  },
  async run(ctx, _args, flags) {
    const input = flags.string('input');
    if (!input && ctx.stdin.isTTY) throw new StatusError('requested load from stdin, but stdin is empty', 1);
    const src = input ? createReadStream(input) : ctx.stdin;
    const quiet = flags.bool('quiet') || !ctx.stdout.isTTY;
    const res = await ctx.engine().images.load(src, { quiet });
    const renderer = new ProgressRenderer(ctx.stdout, { terminal: Boolean(ctx.stdout.isTTY), width: ctx.stdout.columns ?? 80 });
    for await (const m of jsonStream(res)) renderer.write(m);
    return 0;
  },
};
