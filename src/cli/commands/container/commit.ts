import type { Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: 'Save the changes made inside a container as a new image',
    minArgs: 1,
    maxArgs: 2,
    flags: [
      { name: 'author', short: 'a', kind: 'string', description: 'Author recorded in the image (e.g. "Ada Lovelace <ada@example.com>")' },
      { name: 'change', short: 'c', kind: 'list', description: 'Dockerfile instruction to apply to the new image (e.g. "ENV A=1")' },
      { name: 'message', short: 'm', kind: 'string', description: 'Message recorded in the image history' },
      { name: 'pause', short: 'p', kind: 'bool', default: true, description: 'Freeze the container while its changes are saved' },
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
