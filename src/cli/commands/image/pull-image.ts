import { encodeRegistryAuth, jsonStream } from '../../../client/index.ts';
import type { CliContext } from '../../context.ts';
import { getAuth, registryOf } from '../../config/docker-config.ts';
import { ProgressRenderer } from '../../format/json-progress.ts';
import type { Writable } from 'node:stream';

/** Splits `name[:tag][@digest]` into what `/images/create` takes. */
export function splitReference(ref: string): { name: string; tag: string | undefined } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref, tag: undefined };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: 'latest' };
}

/** The X-Registry-Auth value for the registry `ref` lives on. */
export async function registryAuthFor(ctx: CliContext, ref: string): Promise<string> {
  return encodeRegistryAuth(await getAuth(ctx.configDir, registryOf(ref)));
}

/**
 * Pulls `ref` through the daemon and renders docker's progress on `out` (bars on a terminal,
 * status lines elsewhere, nothing when quiet). Throws the stream's error message.
 */
export async function pullImage(
  ctx: CliContext,
  ref: string,
  options: { platform?: string | undefined; quiet?: boolean; out: Writable & { isTTY?: boolean; columns?: number } },
): Promise<void> {
  const { name, tag } = splitReference(ref);
  const res = await ctx.engine().images.pull(name, {
    ...(tag ? { tag } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
    registryAuth: await registryAuthFor(ctx, ref),
  });
  const renderer = new ProgressRenderer(options.out, { terminal: Boolean(options.out.isTTY), width: options.out.columns ?? 80 });
  for await (const m of jsonStream(res)) {
    if (options.quiet) {
      if (m.error || m.errorDetail?.message) renderer.write(m);
      continue;
    }
    renderer.write(m);
  }
}
