import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readdir, readlink, rm, stat, symlink, utimes } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { invalidArgument } from '../lib/index.ts';
import { resolveInRoot } from '../containers/index.ts';

/** Ownership and mode applied to copied files (COPY --chown / --chmod). */
export interface CopyAttrs {
  uid: number;
  gid: number;
  /** Octal mode for every copied file and directory, when --chmod gave one. */
  mode: number | undefined;
}

/**
 * Copies `src` (a host path: the build context or another stage's mounted root) to `dest`, an
 * absolute path inside the container root `root`. Paths inside the root are resolved with
 * symlinks kept inside it, so a hostile image cannot redirect a COPY onto the host.
 * Directory sources copy their contents, as docker does; `destIsDir` says whether `dest`
 * names a directory (it ended with `/`, or several sources were given).
 */
export async function copyInto(root: string, src: string, dest: string, destIsDir: boolean, attrs: CopyAttrs): Promise<void> {
  const st = await lstat(src);
  if (st.isDirectory()) {
    const target = await ensureDir(root, dest, attrs);
    await copyTree(src, target, attrs);
    return;
  }
  let targetPath = dest;
  if (destIsDir) {
    await ensureDir(root, dest, attrs);
    targetPath = posix.join(dest, posix.basename(src));
  } else {
    await ensureDir(root, posix.dirname(dest), attrs);
    const existing = await resolveInRoot(root, dest);
    const ex = await stat(existing).catch(() => undefined);
    if (ex?.isDirectory()) targetPath = posix.join(dest, posix.basename(src));
  }
  const host = await resolveInRoot(root, targetPath);
  await copyEntry(src, host, attrs);
}

/** Writes `content` as a file at `dest` inside the root (COPY <<EOF). */
export async function writeInto(root: string, dest: string, content: string, attrs: CopyAttrs): Promise<void> {
  await ensureDir(root, posix.dirname(dest), attrs);
  const { writeFile } = await import('node:fs/promises');
  const host = await resolveInRoot(root, dest);
  await rm(host, { force: true, recursive: true });
  await writeFile(host, content, { mode: attrs.mode ?? 0o644 });
  await chmod(host, attrs.mode ?? 0o644);
  await lchown(host, attrs.uid, attrs.gid);
}

/** Makes directory `dir` (absolute, inside root) and its missing parents; returns the host path. */
export async function ensureDir(root: string, dir: string, attrs?: CopyAttrs): Promise<string> {
  const parts = posix.normalize('/' + dir).split('/').filter(Boolean);
  let cur = '/';
  let host = root;
  for (const part of parts) {
    cur = posix.join(cur, part);
    host = await resolveInRoot(root, cur);
    const st = await lstat(host).catch(() => undefined);
    if (!st) {
      await mkdir(host, { mode: 0o755 });
      if (attrs) await lchown(host, attrs.uid, attrs.gid);
    } else if (!st.isDirectory()) {
      throw invalidArgument(`cannot copy to "${cur}": not a directory`);
    }
  }
  return host;
}

async function copyTree(srcDir: string, destDir: string, attrs: CopyAttrs): Promise<void> {
  for (const name of await readdir(srcDir)) {
    await copyEntry(join(srcDir, name), join(destDir, name), attrs);
  }
}

/** Copies one entry (recursively for directories) onto a host path already inside the root. */
async function copyEntry(src: string, dest: string, attrs: CopyAttrs): Promise<void> {
  const st = await lstat(src);
  const existing = await lstat(dest).catch(() => undefined);
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) await rm(dest, { force: true, recursive: true });
    if (!existing || !existing.isDirectory()) await mkdir(dest);
    await copyTree(src, dest, attrs);
    await chmod(dest, attrs.mode ?? st.mode & 0o7777);
    await lchown(dest, attrs.uid, attrs.gid);
    await utimes(dest, st.atime, st.mtime);
    return;
  }
  if (existing) await rm(dest, { force: true, recursive: true });
  await mkdir(dirname(dest), { recursive: true });
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
    await lchown(dest, attrs.uid, attrs.gid);
    await lutimes(dest, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) throw invalidArgument(`cannot copy "${src}": not a regular file, directory or symlink`);
  await copyFile(src, dest);
  await chmod(dest, attrs.mode ?? st.mode & 0o7777);
  await lchown(dest, attrs.uid, attrs.gid);
  await utimes(dest, st.atime, st.mtime);
}

/** Parses --chmod: octal only, as the legacy builder accepts. */
export function parseChmod(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(value)) throw invalidArgument(`invalid --chmod value "${value}": only octal modes are supported`);
  return parseInt(value, 8);
}
