import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { jsonStream } from '../../../client/index.ts';
import type { Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    description: 'Turn a root filesystem tarball into a single-layer image',
    minArgs: 1,
    maxArgs: 2,
    flags: [
      { name: 'change', short: 'c', kind: 'list', description: 'Dockerfile instruction to apply to the new image (e.g. "ENV A=1")' },
      { name: 'message', short: 'm', kind: 'string', description: 'Message recorded in the history of the new image' },
      { name: 'platform', kind: 'string', description: 'Platform to use, as os[/arch[/variant]]' },
    ],
  },
  async run(ctx, args, flags) {
    const [source, ref] = args as [string, string?];
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref) {
      const slash = ref.lastIndexOf('/');
      const colon = ref.lastIndexOf(':');
      repo = colon > slash ? ref.slice(0, colon) : ref;
      tag = colon > slash ? ref.slice(colon + 1) : undefined;
    }
    const isUrl = /^https?:\/\//.test(source);
    const body = source === '-' ? ctx.stdin : isUrl ? source : createReadStream(resolve(ctx.cwd, source));
    const message = flags.string('message');
    const platform = flags.string('platform');
    const res = await ctx.engine().images.import(body, {
      ...(repo ? { repo } : {}),
      ...(tag ? { tag } : {}),
      ...(message ? { message } : {}),
      ...(platform ? { platform } : {}),
      changes: flags.list('change'),
    });
    for await (const m of jsonStream(res)) {
      if (m.error || m.errorDetail?.message) throw new Error(m.errorDetail?.message ?? m.error);
      if (m.status) ctx.out(m.status.trim() + '\n');
    }
    return 0;
  },
};
