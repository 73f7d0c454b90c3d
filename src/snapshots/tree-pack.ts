import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { nativeSys, errnoCode } from '../sys/index.ts';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX, OPAQUE_XATTR, isOverlayWhiteout } from './whiteout.ts';

export interface PackTreeOptions {
  /**
   * Treat `root` as an overlay upper dir: whiteouts (char 0/0) become `.wh.<name>` entries and
   * opaque directories get a `.wh..wh..opq` entry. Otherwise every file is packed as is.
   */
  overlay?: boolean;
  /** Include the xattrs (as PAX SCHILY.xattr.*) of files; overlayfs's own are always left out. */
  xattrs?: boolean;
  signal?: AbortSignal;
}

const CHUNK = 1024 * 1024;

function xattrsOf(path: string): Record<string, string> | undefined {
  let names: string[];
  try {
    names = nativeSys().llistxattr(path);
  } catch (err) {
    if (errnoCode(err) === 'EOPNOTSUPP') return undefined;
    throw err;
  }
  let out: Record<string, string> | undefined;
  for (const name of names) {
    if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) continue;
    const value = nativeSys().lgetxattr(path, name);
    const text = value.toString('utf8');
    // tar-stream keeps PAX values as text: binary values that do not survive are left out
    if (!Buffer.from(text, 'utf8').equals(value)) continue;
    (out ??= {})[`SCHILY.xattr.${name}`] = text;
  }
  return out;
}

function isOpaque(path: string): boolean {
  try {
    return nativeSys().lgetxattr(path, OPAQUE_XATTR).toString() === 'y';
  } catch {
    return false;
  }
}

function writeEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (data) pack.entry(header, data, (err) => (err ? reject(err) : resolve()));
    else pack.entry(header, (err) => (err ? reject(err) : resolve())).end(undefined);
  });
}

async function writeFileEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, path: string, size: number): Promise<void> {
  if (size <= CHUNK) {
    const buf = Buffer.alloc(size);
    const fd = openSync(path, 'r');
    try {
      let off = 0;
      while (off < size) {
        const n = readSync(fd, buf, off, size - off, off);
        if (n === 0) break;
        off += n;
      }
      if (off !== size) throw new Error(`pack ${JSON.stringify(path)}: file shrank while reading`);
    } finally {
      closeSync(fd);
    }
    return writeEntry(pack, header, buf);
  }
  const fd = openSync(path, 'r');
  try {
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      let off = 0;
      const pump = () => {
        while (off < size) {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - off));
          const n = readSync(fd, buf, 0, buf.length, off);
          if (n === 0) {
            reject(new Error(`pack ${JSON.stringify(path)}: file shrank while reading`));
            return;
          }
          off += n;
          if (!sink.write(n === buf.length ? buf : buf.subarray(0, n))) {
            sink.once('drain', pump);
            return;
          }
        }
        sink.end(undefined);
      };
      pump();
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Packs the tree at `root` into a tar stream (entries sorted by name, so the output is
 * deterministic for a given tree). Hardlinks inside the tree become link entries.
 */
export function packTree(root: string, options: PackTreeOptions = {}): Readable {
  const pack = tar.pack();
  const links = new Map<string, string>();
  const withXattrs = options.xattrs ?? true;

  const headerOf = (name: string, st: Stats): Partial<tar.Header> & { name: string } => ({
    name,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
  });

  const visit = async (rel: string, path: string, st: Stats): Promise<void> => {
    options.signal?.throwIfAborted();
    const h = headerOf(rel, st);
    const pax = withXattrs && !isOverlayWhiteout(st) ? xattrsOf(path) : undefined;
    if (pax) h.pax = pax;
    if (st.isDirectory()) {
      if (rel !== '') await writeEntry(pack, { ...h, name: rel + '/', type: 'directory' });
      if (options.overlay && rel !== '' && isOpaque(path)) {
        await writeEntry(pack, { name: `${rel}/${WHITEOUT_OPAQUE}`, type: 'file', mode: 0, uid: 0, gid: 0, mtime: h.mtime! });
      }
      for (const name of readdirSync(path).sort()) {
        const child = join(path, name);
        await visit(rel === '' ? name : `${rel}/${name}`, child, lstatSync(child));
      }
      return;
    }
    if (options.overlay && isOverlayWhiteout(st)) {
      const slash = rel.lastIndexOf('/');
      const wh = slash < 0 ? WHITEOUT_PREFIX + rel : `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
      await writeEntry(pack, { name: wh, type: 'file', mode: 0, uid: 0, gid: 0, mtime: h.mtime! });
      return;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const id = `${st.dev}:${st.ino}`;
      const first = links.get(id);
      if (first !== undefined) {
        await writeEntry(pack, { ...h, type: 'link', linkname: first });
        return;
      }
      links.set(id, rel);
    }
    if (st.isFile()) return writeFileEntry(pack, { ...h, type: 'file', size: st.size }, path, st.size);
    if (st.isSymbolicLink()) return writeEntry(pack, { ...h, type: 'symlink', linkname: readlinkSync(path) });
    if (st.isFIFO()) return writeEntry(pack, { ...h, type: 'fifo' });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = st.rdev;
      const major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff);
      const minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff);
      return writeEntry(pack, { ...h, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
    }
    // sockets and other kinds are not representable in a layer: skipped as docker does
  };

  (async () => {
    await visit('', root, lstatSync(root));
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
