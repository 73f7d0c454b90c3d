import { readdirSync, renameSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { nativeSys } from './native.ts';
import { randomHex } from '../lib/index.ts';

/**
 * Removes a tree as `rm -rf` does, in one call to a worker thread (Node's fs.rm makes a
 * thread-pool round trip per syscall). Symlinks are removed, never followed; a mount inside
 * the tree is left alone and the promise rejects with EBUSY. A missing path is fine; a relative
 * path, "/" and a path with a "." or ".." component are refused (EINVAL). A big tree holds one
 * thread-pool thread while it goes.
 */
export function removeTree(path: string): Promise<void> {
  // never relative (an empty path would be the working directory), never "." or ".."
  if (!isAbsolute(path) || path.split('/').some((c) => c === '.' || c === '..')) {
    return Promise.reject(Object.assign(new Error(`EINVAL: rm ${JSON.stringify(path)}: only an absolute path without "." or ".."`), { code: 'EINVAL', syscall: 'rm', path }));
  }
  return nativeSys().removeTreeAsync(path);
}

const DISCARDED = '.removed-';

/**
 * Renames `dir` to a hidden sibling and deletes that in the background: the name is free at
 * once, the unlinks cost nobody's wait. A missing dir is fine; sweepDiscarded collects what a
 * stop or crash leaves.
 */
export function discardDir(dir: string): void {
  const to = join(dirname(dir), `${DISCARDED}${basename(dir)}-${randomHex(3)}`);
  try {
    renameSync(dir, to);
  } catch {
    return; // gone already
  }
  removeTree(to).catch(() => undefined);
}

/** Deletes, in the background, what discardDir() renamed in `parent` but did not finish deleting. */
export function sweepDiscarded(parent: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(DISCARDED)) removeTree(join(parent, n)).catch(() => undefined);
}
