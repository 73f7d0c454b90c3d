import {
  chmodSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { errnoCode, nativeSys } from '../../sys/index.ts';

function copyXattrs(src: string, dst: string): void {
  let names: string[];
  try {
    names = nativeSys().llistxattr(src);
  } catch (err) {
    if (errnoCode(err) === 'EOPNOTSUPP') return;
    throw err;
  }
  for (const n of names) nativeSys().lsetxattr(dst, n, nativeSys().lgetxattr(src, n), 0);
}

function copyMeta(dst: string, st: Stats, isLink: boolean): void {
  lchownSync(dst, st.uid, st.gid);
  if (!isLink) chmodSync(dst, st.mode & 0o7777);
}

/**
 * Copies the tree `src` into the existing empty directory `dst` with everything a layer holds:
 * modes, owners, times, xattrs, symlinks, hardlinks (within the tree), devices and fifos. Files
 * are reflinked where the filesystem can (FICLONE), copied otherwise.
 */
export function copyTree(src: string, dst: string): void {
  const links = new Map<string, string>();
  const dirTimes: [string, Stats][] = [];
  const visit = (s: string, d: string, st: Stats) => {
    if (st.isDirectory()) {
      if (d !== dst) mkdirSync(d);
      copyMeta(d, st, false);
      copyXattrs(s, d);
      dirTimes.push([d, st]);
      for (const name of readdirSync(s)) visit(join(s, name), join(d, name), lstatSync(join(s, name)));
      return;
    }
    if (st.nlink > 1) {
      const id = `${st.dev}:${st.ino}`;
      const first = links.get(id);
      if (first) {
        linkSync(first, d);
        return;
      }
      links.set(id, d);
    }
    if (st.isFile()) copyFileSync(s, d, constants.COPYFILE_FICLONE);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
    else if (st.isFIFO()) nativeSys().mknod(d, 'p', st.mode & 0o7777, 0, 0);
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const major = ((st.rdev >> 8) & 0xfff) | ((st.rdev >> 32) & ~0xfff);
      const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & ~0xff);
      nativeSys().mknod(d, st.isCharacterDevice() ? 'c' : 'b', st.mode & 0o7777, major, minor);
    } else return; // sockets: not part of a layer
    copyMeta(d, st, st.isSymbolicLink());
    copyXattrs(s, d);
    lutimesSync(d, st.atime, st.mtime);
  };
  visit(src, dst, lstatSync(src));
  for (let i = dirTimes.length - 1; i >= 0; i--) lutimesSync(dirTimes[i]![0], dirTimes[i]![1].atime, dirTimes[i]![1].mtime);
}
