import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, cliDaemon } from './harness.ts';

export interface CliWorkspace {
  /** The daemon address to pass to `berth`. */
  host: string;
  /** The per-run suffix of every global name. */
  sfx: string;
  /** A private temporary directory. */
  work: string;
  /** `<n>-<sfx>`: a container name, force-removed when the test ends. */
  name(n: string): string;
}

/**
 * One daemon for a whole test file, a temporary directory and container names with a per-run
 * suffix (a shared daemon is never confused); everything is removed after the test: the
 * containers (with their anonymous volumes when `removeVolumes`), then `cleanup`, then the directory.
 */
export async function cliWorkspace(
  t: { after: (fn: () => Promise<void>) => void },
  options: { sfx: string; prefix: string; removeVolumes?: boolean; cleanup?: (host: string) => Promise<unknown> },
): Promise<CliWorkspace> {
  const { host } = await cliDaemon(t);
  const { sfx } = options;
  const work = mkdtempSync(join(tmpdir(), options.prefix));
  const created: string[] = [];
  t.after(async () => {
    for (const c of created) await berth(host, options.removeVolumes ? ['rm', '-f', '-v', c] : ['rm', '-f', c]);
    await options.cleanup?.(host);
    rmSync(work, { recursive: true, force: true });
  });
  const name = (n: string) => {
    const full = `${n}-${sfx}`;
    created.push(full);
    return full;
  };
  return { host, sfx, work, name };
}
