import { isDaemonError, type Engine } from '../../client/index.ts';
import type { CliContext } from '../context.ts';
import { formatValue } from '../format/formatter.ts';
import { errorLine, indentJson } from './shared.ts';

export type ObjectType = 'container' | 'image' | 'volume' | 'network';

const fetchers: Record<ObjectType, (e: Engine, name: string, size: boolean) => Promise<unknown>> = {
  container: (e, n, size) => e.containers.inspect(n, { size }),
  image: (e, n) => e.images.inspect(n),
  volume: (e, n) => e.volumes.inspect(n),
  network: (e, n) => e.networks.inspect(n),
};

/**
 * Docker's inspect output: a JSON array (4-space indent), or one `--format` line per object.
 * Objects not found are reported as "Error: No such object: x" and the exit status is 1.
 */
export async function inspectObjects(
  ctx: CliContext,
  names: readonly string[],
  options: { types: ObjectType[]; format: string | undefined; size?: boolean },
): Promise<number> {
  const engine = ctx.engine();
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    let value: unknown;
    let lastErr: unknown;
    for (const t of options.types) {
      try {
        value = await fetchers[t](engine, name, Boolean(options.size));
        break;
      } catch (err) {
        lastErr = err;
        if (!(isDaemonError(err) && err.status === 404)) break;
      }
    }
    if (value === undefined) {
      if (options.types.length > 1 && isDaemonError(lastErr) && lastErr.status === 404) errors.push(`Error: No such object: ${name}`);
      else errors.push(errorLine(lastErr));
      continue;
    }
    found.push(value);
  }
  const format = options.format;
  if (format && format !== 'json') {
    for (const v of found) ctx.out(formatValue(format, v) + '\n');
  } else {
    ctx.out(indentJson(found) + '\n');
  }
  for (const e of errors) ctx.err(e + '\n');
  return errors.length ? 1 : 0;
}
