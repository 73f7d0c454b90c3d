import type { Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: "Create a new image from a container's changes",
    minArgs: 1,
    maxArgs: 2,
    flags: [
      { name: 'author', short: 'a', kind: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
      { name: 'change', short: 'c', kind: 'list', description: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', kind: 'string', description: 'Commit message' },
      { name: 'pause', short: 'p', kind: 'bool', default: true, description: 'Pause container during commit' },
    ],
  },
  async run(ctx, args, flags) {
    const [container, ref] = args as [string, string?];
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref) {
      const slash = ref.lastIndexOf('/');
      const colon = ref.lastIndexOf(':');
      if (colon > slash) {
        repo = ref.slice(0, colon);
        tag = ref.slice(colon + 1);
      } else repo = ref;
    }
    const author = flags.string('author');
    const message = flags.string('message');
    const r = await ctx.engine().images.commit(container, {
      ...(repo ? { repo } : {}),
      ...(tag ? { tag } : {}),
      ...(author ? { author } : {}),
      ...(message ? { comment: message } : {}),
      pause: flags.bool('pause'),
      changes: flags.list('change'),
    });
    ctx.out(r.Id + '\n');
    return 0;
  },
};
