import { mkdir, open, rename, rm } from 'node:fs/promises';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `data` to `path` atomically: temp file in the same dir, fsync, rename, fsync the dir. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/**
 * Replaces `path` atomically for every reader (temp file + rename) without making it durable:
 * for files that are regenerated anyway (bundles and state under the exec-root), where an fsync
 * per write costs more than the work around it.
 */
export function replaceFileSync(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = tempName(path);
  writeFileSync(tmp, data, { mode, flag: 'wx' });
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** The synchronous twin of writeFileAtomic, for short CLI paths (runtime state files). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

const DISCARDED = '.removed-';

/**
 * Renames `dir` to a hidden sibling and deletes that in the background: the name is free at
 * once, the unlinks cost nobody's wait. A missing dir is fine; sweepDiscarded collects what a
 * stop or crash leaves.
 */
export function discardDir(dir: string): void {
  const to = join(dirname(dir), `${DISCARDED}${basename(dir)}-${randomBytes(3).toString('hex')}`);
  try {
    renameSync(dir, to);
  } catch {
    return; // gone already
  }
  rm(to, { recursive: true, force: true }).catch(() => undefined);
}

/** Deletes, in the background, what discardDir() renamed in `parent` but did not finish deleting. */
export function sweepDiscarded(parent: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(DISCARDED)) rm(join(parent, n), { recursive: true, force: true }).catch(() => undefined);
}

/** fsyncs a directory so a rename inside it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
