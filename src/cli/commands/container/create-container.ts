import { readFileSync } from 'node:fs';
import { isDaemonError } from '../../../client/index.ts';
import type { CliContext } from '../../context.ts';
import type { ParsedFlags } from '../../parse/flags.ts';
import { buildCreateRequest, type ParsedContainer } from '../../opts/container-options.ts';
import { pullImage } from '../image/pull-image.ts';

/** Parses run/create flags into a create request, reading env files and the environment. */
export function parseContainer(ctx: CliContext, flags: ParsedFlags, args: string[], detach: boolean): ParsedContainer {
  return buildCreateRequest(flags, args, { env: ctx.env, readFile: (p) => readFileSync(p, 'utf8'), cwd: ctx.cwd }, detach);
}

function isMissingImage(err: unknown): boolean {
  return isDaemonError(err) && err.status === 404 && /no such image|not found|does not exist/i.test(err.message);
}

/**
 * Creates the container as docker's CLI does: `--pull always` pulls first; a missing image is
 * pulled (`--pull missing`) and the create retried. Warnings go to stderr. Returns the id.
 */
export async function createContainer(ctx: CliContext, parsed: ParsedContainer, options: { quiet: boolean }): Promise<string> {
  const engine = ctx.engine();
  const pullOut = ctx.stderr;
  if (parsed.pull === 'always') {
    await pullImage(ctx, parsed.image, { platform: parsed.platform, quiet: options.quiet, out: pullOut });
  }
  const create = () =>
    engine.containers.create(parsed.body, {
      ...(parsed.name ? { name: parsed.name } : {}),
      ...(parsed.platform ? { platform: parsed.platform } : {}),
    });
  let res;
  try {
    res = await create();
  } catch (err) {
    if (!isMissingImage(err) || parsed.pull !== 'missing') throw err;
    const shown = parsed.image.includes(':') || parsed.image.includes('@') ? parsed.image : `${parsed.image}:latest`;
    ctx.err(`Unable to find image '${shown}' locally\n`);
    await pullImage(ctx, parsed.image, { platform: parsed.platform, quiet: options.quiet, out: pullOut });
    res = await create();
  }
  for (const w of res.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
  return res.Id;
}
