import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { pullImage, splitReference } from './pull-image.ts';
import { registryOf } from '../../config/docker-config.ts';

/** The fully qualified name docker prints after a pull: docker.io/library/busybox:latest. */
export function fullReference(ref: string): string {
  const host = registryOf(ref);
  let rest = ref;
  if (host === 'docker.io') {
    if (rest.startsWith('docker.io/')) rest = rest.slice('docker.io/'.length);
    if (!rest.includes('/')) rest = `library/${rest}`;
    rest = `docker.io/${rest}`;
  }
  const { tag } = splitReference(ref);
  return tag && !rest.endsWith(`:${tag}`) ? `${rest}:${tag}` : rest;
}

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Fetch an image from a registry into the local store',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', description: 'Fetch every tag of the repository' },
      { name: 'platform', kind: 'string', description: 'Platform to use, as os[/arch[/variant]]' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print no progress' },
      { name: 'disable-content-trust', kind: 'bool', default: true, description: 'Do not verify image signatures', hidden: true },
    ],
  },
  async run(ctx, args, flags) {
    const ref = args[0] as string;
    if (flags.bool('all-tags')) throw new UsageError('--all-tags is not supported');
    if (/[A-Z]/.test(ref.split('@')[0]?.split(':')[0] ?? '')) throw new UsageError('invalid reference format: repository name must be lowercase');
    const quiet = flags.bool('quiet');
    const noTag = !ref.includes('@') && !/:[^/]+$/.test(ref);
    if (noTag && !quiet) ctx.out('Using default tag: latest\n');
    await pullImage(ctx, ref, { platform: flags.string('platform'), quiet, out: ctx.stdout });
    ctx.out(fullReference(ref) + '\n');
    return 0;
  },
};
