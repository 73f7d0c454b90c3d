import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';

export const command: Command = {
  spec: { usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', description: 'Give an image an extra name: TARGET_IMAGE will point at SOURCE_IMAGE', minArgs: 2, maxArgs: 2, flags: [] },
  async run(ctx, args) {
    const [source, target] = args as [string, string];
    if (target.includes('@')) throw new UsageError('refusing to create a tag with a digest reference');
    const slash = target.lastIndexOf('/');
    const colon = target.lastIndexOf(':');
    const repo = colon > slash ? target.slice(0, colon) : target;
    const tag = colon > slash ? target.slice(colon + 1) : 'latest';
    await ctx.engine().images.tag(source, repo, tag);
    return 0;
  },
};
