import { mkdir, open, rename, rm } from 'node:fs/promises';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomHex } from './random.ts';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomHex(6)}.tmp`);
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

/** fsyncs a directory so a rename inside it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
