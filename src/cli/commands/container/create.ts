import type { Command } from '../../context.ts';
import { containerFlags } from '../../opts/container-options.ts';
import { createContainer, parseContainer } from './create-container.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Set up a container from an image without starting it',
    minArgs: 1,
    interspersed: false,
    flags: containerFlags,
  },
  async run(ctx, args, flags) {
    const parsed = parseContainer(ctx, flags, args, true);
    // `create` keeps the attach flags docker derives from -i/-t/-a for a later `start -a`.
    const detachParsed = parseContainer(ctx, flags, args, false);
    parsed.body.AttachStdin = detachParsed.body.AttachStdin ?? false;
    parsed.body.AttachStdout = detachParsed.body.AttachStdout ?? false;
    parsed.body.AttachStderr = detachParsed.body.AttachStderr ?? false;
    parsed.body.StdinOnce = detachParsed.body.StdinOnce ?? false;
    const id = await createContainer(ctx, parsed, { quiet: flags.bool('quiet') });
    ctx.out(id + '\n');
    return 0;
  },
};
