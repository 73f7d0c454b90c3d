import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDaemonError } from '../../client/index.ts';
import { messageOf } from '../../lib/index.ts';
import type { CliContext } from '../context.ts';
import type { FlagSpec, ParsedFlags } from '../parse/flags.ts';

/**
 * Runs `fn` for each target, as docker's multi-target commands do: prints the target on success
 * (unless `quiet`), one error line per failure, and returns 1 if any failed.
 */
export async function forEachTarget(
  ctx: CliContext,
  targets: readonly string[],
  fn: (target: string) => Promise<string | void>,
  options: { quiet?: boolean } = {},
): Promise<number> {
  let failed = false;
  for (const t of targets) {
    try {
      const shown = await fn(t);
      if (!options.quiet) ctx.out(`${shown ?? t}\n`);
    } catch (err) {
      failed = true;
      ctx.err(errorLine(err) + '\n');
    }
  }
  return failed ? 1 : 0;
}

/** The line docker prints for an error: daemon errors get "Error response from daemon: ". */
export function errorLine(err: unknown): string {
  return isDaemonError(err) ? `Error response from daemon: ${err.message}` : `Error: ${messageOf(err)}`;
}

/**
 * The default format a user configured in config.json (`psFormat`, `imagesFormat`,
 * `volumesFormat`, `networksFormat`, `statsFormat`), as docker honours it.
 */
export function configuredFormat(ctx: CliContext, key: 'psFormat' | 'imagesFormat' | 'volumesFormat' | 'networksFormat' | 'statsFormat'): string | undefined {
  try {
    const cfg = JSON.parse(readFileSync(join(ctx.configDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const v = cfg[key];
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The `--format` value, with docker's bare `table` meaning "the default table". */
export function formatOption(flags: ParsedFlags): string | undefined {
  const f = flags.string('format');
  return f === undefined || f.trim() === '' || f.trim() === 'table' ? undefined : f;
}

export const formatFlag: FlagSpec = {
  name: 'format',
  kind: 'string',
  description: "Output format: 'table', 'table TEMPLATE', 'json' or a Go template",
};

export const filterFlag: FlagSpec = { name: 'filter', short: 'f', kind: 'list', description: 'Only show objects matching this filter (key=value)' };

/** Pretty JSON as docker's inspect prints it (4-space indent). */
export function indentJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}

/** Reads a line from stdin for confirmation prompts (prune). */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  ctx.out(`${question} [y/N] `);
  const line = await readLine(ctx);
  return /^y(es)?$/i.test(line.trim());
}

async function readLine(ctx: CliContext): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        done();
        resolve(buf.slice(0, nl));
      }
    };
    const onEnd = () => {
      done();
      resolve(buf);
    };
    const done = () => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', onEnd);
      ctx.stdin.pause();
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', onEnd);
    ctx.stdin.resume();
  });
}
