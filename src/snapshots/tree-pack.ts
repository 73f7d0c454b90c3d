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

/** The xattrs of `path` as raw bytes, overlayfs's own left out. */
function xattrsOf(path: string): Map<string, Buffer> | undefined {
  let names: string[];
  try {
    names = nativeSys().llistxattr(path);
  } catch (err) {
    if (errnoCode(err) === 'EOPNOTSUPP') return undefined;
    throw err;
  }
  let out: Map<string, Buffer> | undefined;
  for (const name of names) {
    if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) continue;
    (out ??= new Map()).set(name, nativeSys().lgetxattr(path, name));
  }
  return out;
}

/** One PAX record, "<len> <key>=<value>\n", where len counts itself. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** A ustar 'x' (PAX extended header) block with `data` after it, padded to whole blocks. */
export function paxHeaderBlocks(data: Buffer, mtime: Date): Buffer {
  const h = Buffer.alloc(512);
  const octal = (v: number, off: number, len: number) => h.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
  h.write('PaxHeader', 0, 100, 'latin1');
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(data.length, 124, 12);
  octal(Math.floor(mtime.getTime() / 1000), 136, 12);
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  h.write('x', 156, 1, 'latin1');
  h.write('ustar\0', 257, 6, 'latin1');
  h.write('00', 263, 2, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  const pad = (512 - (data.length % 512)) % 512;
  return Buffer.concat([h, data, Buffer.alloc(pad)]);
}

/** A ustar name field can hold it as is (ASCII, at most 100 bytes). */
function fitsUstar(s: string): boolean {
  return s.length <= 100 && Buffer.byteLength(s) === s.length;
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
    const xattrs = withXattrs && !isOverlayWhiteout(st) ? xattrsOf(path) : undefined;
    /**
     * Entries with xattrs get a PAX header written here, byte-exact (tar-stream's own would
     * encode values as text): path and linkpath go in it too, and the ustar fields get
     * placeholders when they cannot hold the real names, so no second PAX header follows.
     */
    const emit = async (header: Partial<tar.Header> & { name: string }, body?: () => Promise<void>): Promise<void> => {
      if (!xattrs) return body ? body() : writeEntry(pack, header);
      const records = [paxRecord('path', Buffer.from(header.name))];
      if (header.linkname) records.push(paxRecord('linkpath', Buffer.from(header.linkname)));
      for (const [k, v] of xattrs) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
      const data = Buffer.concat(records);
      // tar-stream allows no body on a pax-header entry: the blocks go out between two entries
      (pack as unknown as { push(b: Buffer): boolean }).push(paxHeaderBlocks(data, header.mtime ?? new Date(0)));
      if (!fitsUstar(header.name)) header.name = header.type === 'directory' ? 'PaxHeaderDir/' : 'PaxHeaderFile';
      if (header.linkname && !fitsUstar(header.linkname)) header.linkname = 'PaxHeaderLink';
      return body ? body() : writeEntry(pack, header);
    };
    if (st.isDirectory()) {
      if (rel !== '') await emit({ ...h, name: rel + '/', type: 'directory' });
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
        await emit({ ...h, type: 'link', linkname: first });
        return;
      }
      links.set(id, rel);
    }
    if (st.isFile()) {
      const fh: Partial<tar.Header> & { name: string } = { ...h, type: 'file', size: st.size };
      return emit(fh, () => writeFileEntry(pack, fh, path, st.size));
    }
    if (st.isSymbolicLink()) return emit({ ...h, type: 'symlink', linkname: readlinkSync(path) });
    if (st.isFIFO()) return emit({ ...h, type: 'fifo' });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = st.rdev;
      const major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff);
      const minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff);
      return emit({ ...h, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
    }
    // sockets and other kinds are not representable in a layer: skipped as docker does
  };

  (async () => {
    await visit('', root, lstatSync(root));
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
