import { jsonStream } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { ProgressRenderer } from '../../format/json-progress.ts';
import { registryAuthFor, splitReference } from './pull-image.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NAME[:TAG]',
    description: 'Send a local image to a registry',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', description: 'Send every tag of the repository' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print no progress' },
      { name: 'disable-content-trust', kind: 'bool', default: true, description: 'Do not sign the image', hidden: true },
    ],
  },
  async run(ctx, args, flags) {
    const ref = args[0] as string;
    const { name, tag } = splitReference(ref);
    const hasTag = /:[^/]+$/.test(ref) || ref.includes('@');
    if (!hasTag && !flags.bool('all-tags') && !flags.bool('quiet')) ctx.out(`Using default tag: latest\n`);
    const res = await ctx.engine().images.push(name, {
      ...(flags.bool('all-tags') ? {} : { tag: tag ?? 'latest' }),
      registryAuth: await registryAuthFor(ctx, ref),
    });
    const quiet = flags.bool('quiet');
    const renderer = new ProgressRenderer(ctx.stdout, { terminal: Boolean(ctx.stdout.isTTY), width: ctx.stdout.columns ?? 80 });
    for await (const m of jsonStream(res)) {
      if (quiet && !m.error && !m.errorDetail) continue;
      renderer.write(m);
    }
    if (quiet) ctx.out(ref + '\n');
    return 0;
  },
};
