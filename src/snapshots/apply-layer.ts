import {
  chmodSync, closeSync, constants, copyFileSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync,
  lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, write, writeSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { Digester, invalidArgument, wrap, BerthError, type Digest } from '../lib/index.ts';
import { nativeSys } from '../sys/index.ts';
import { decompressLayer, type Compression } from './decompress.ts';
import { lowerLookup } from './lower-lookup.ts';
import { PaxXattrScanner } from './pax-scanner.ts';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX, isOverlayWhiteout, makeOpaque, makeOverlayWhiteout } from './whiteout.ts';

export interface ApplyLayerOptions {
  /**
   * 'overlay' (default): `dir` is an overlay upper layer; whiteouts become overlay whiteouts
   * (char 0/0) and opaque directories (trusted.overlay.opaque=y). 'flat': `dir` holds a whole
   * tree; whiteouts remove the paths they name.
   */
  whiteouts?: 'overlay' | 'flat';
  /** The layer directories below `dir` (nearest first) in overlay mode: symlinked parents and hardlinks to earlier layers are resolved through them. */
  parents?: readonly string[];
  /** Create character and block devices (otherwise such entries are rejected). */
  allowDevices?: boolean;
  /** Largest regular file accepted (bytes). Default 64 GiB. */
  maxFileSize?: number;
  /** Most entries accepted. Default 10 million. */
  maxEntries?: number;
  /**
   * The blob's digest when the caller already verified it (the content store checks every blob
   * on write): the compressed bytes are then not hashed again and this is returned as `digest`.
   * The diffID is always computed, once, over the uncompressed stream.
   */
  knownDigest?: Digest;
  signal?: AbortSignal;
}

export interface ApplyLayerResult {
  /** sha256 of the uncompressed tar: the layer's diffID. */
  diffID: Digest;
  /** Uncompressed tar size. */
  size: number;
  /** Digest and size of the blob as read (compressed); `knownDigest` when it was given. */
  digest: Digest;
  compressedSize: number;
  compression: Compression;
  entries: number;
}

const PATH_MAX = 4096;
const NAME_MAX = 255;
const MAX_LINKS = 40;

class Rejected extends Error {}

/** Files up to this size are written synchronously (a thread-pool round trip costs more). */
const SYNC_WRITE_MAX = 256 * 1024;

function writeAllSync(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

/** Writes all of `chunk` at the file position (positional writes are not used: the fd is ours alone). */
function writeAll(fd: number, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number) => {
      write(fd, chunk, off, chunk.length - off, null, (err, written) => {
        if (err) reject(err);
        else if (off + written < chunk.length) step(off + written);
        else resolve();
      });
    };
    step(0);
  });
}

function lstatMaybe(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Splits an entry name into safe components: leading '/' and './' stripped, no '..', bounded sizes. */
export function entryComponents(name: string): string[] {
  if (name.includes('\0')) throw new Rejected('name contains a NUL byte');
  if (Buffer.byteLength(name) > PATH_MAX) throw new Rejected(`path is longer than ${PATH_MAX} bytes`);
  const comps: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new Rejected('path escapes the layer root');
    if (Buffer.byteLength(c) > NAME_MAX) throw new Rejected(`path component is longer than ${NAME_MAX} bytes`);
    comps.push(c);
  }
  return comps;
}

interface DirTimes {
  path: string;
  atime: Date;
  mtime: Date;
}

/**
 * Applies one layer (gzip, zstd or plain tar, sniffed from its magic bytes) to `dir`, streaming
 * every entry straight to disk while computing the diffID (and the compressed digest).
 *
 * Safety: nothing outside `dir` is ever created, changed or removed. Entry names are cleaned
 * (leading '/' stripped as docker does) and '..' is refused; every parent directory is resolved
 * component by component with lstat, symlinks resolved *inside* `dir` (an absolute or '..'-heavy
 * link target is clamped to `dir`, as if chrooted); the last component is never followed;
 * hardlink targets are resolved the same way. Device nodes need `allowDevices`. Oversized
 * files, names and paths are refused. On error the caller removes the half-made directory.
 */
export async function applyLayer(source: AsyncIterable<Uint8Array>, dir: string, options: ApplyLayerOptions = {}): Promise<ApplyLayerResult> {
  return applyOpenedLayer(await openLayer(source, options), dir, options);
}

/**
 * A layer being decompressed and hashed ahead of its extraction: see openLayer. Either
 * applyOpenedLayer or close it.
 */
export interface OpenedLayer {
  readonly compression: Compression;
  /** The uncompressed tar, already through the diffID digest and the xattr scanner. */
  readonly tar: Readable;
  readonly diff: Digester;
  readonly scanner: PaxXattrScanner;
  readonly compressed: () => { digest: Digest | undefined; size: number };
  /** Settles when decompression ended (rejects with its error). */
  readonly inflated: Promise<void>;
  /** Stops decompressing and releases the source. */
  close(): void;
}

export interface OpenLayerOptions {
  knownDigest?: Digest;
  /**
   * Uncompressed bytes decompressed ahead of extraction (default 4 MiB): a layer opened while
   * the one below it is still being applied inflates up to this much in the meantime.
   */
  aheadBytes?: number;
}

/**
 * Starts decompressing a layer (gzip, zstd or plain tar, sniffed from its magic bytes) and
 * computing its diffID, before any directory is chosen for it, so the next layer inflates on
 * another thread while the one below is written.
 */
export async function openLayer(source: AsyncIterable<Uint8Array>, options: OpenLayerOptions = {}): Promise<OpenedLayer> {
  const layer = await decompressLayer(source, { digest: options.knownDigest === undefined });
  const diff = new Digester();
  const scanner = new PaxXattrScanner();
  const half = Math.max(1024 * 1024, Math.floor((options.aheadBytes ?? 4 * 1024 * 1024) / 2));
  const tarStream = new Transform({
    readableHighWaterMark: half,
    writableHighWaterMark: half,
    transform(chunk: Buffer, _enc, cb) {
      diff.update(chunk);
      try {
        scanner.push(chunk);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb(null, chunk);
    },
  });
  const inflated = pipeline(layer.stream, tarStream);
  inflated.catch(() => {}); // seen by the extraction through tarStream's error
  return {
    compression: layer.compression,
    tar: tarStream,
    diff,
    scanner,
    compressed: layer.compressed,
    inflated,
    close() {
      tarStream.destroy();
      layer.stream.destroy();
    },
  };
}

/** Extracts an opened layer into `dir` (see applyLayer for the rules); closes it either way. */
export async function applyOpenedLayer(layer: OpenedLayer, dir: string, options: ApplyLayerOptions = {}): Promise<ApplyLayerResult> {
  try {
    return await extractInto(layer, dir, options);
  } finally {
    layer.close();
  }
}

async function extractInto(layer: OpenedLayer, dir: string, options: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const { diff, scanner } = layer;
  const mode = options.whiteouts ?? 'overlay';
  const parents = mode === 'overlay' ? options.parents ?? [] : [];
  const maxFileSize = options.maxFileSize ?? 64 * 1024 ** 3;
  const maxEntries = options.maxEntries ?? 10_000_000;
  const isRoot = process.getuid?.() === 0;
  const dirTimes: DirTimes[] = [];
  /** Paths (relative, '/'-joined) this layer wrote; flat-mode opaque dirs keep them. */
  const written = new Set<string>();
  const opaqueDirs: string[][] = [];
  /**
   * Relative paths ('/'-joined) known to be real directories (not symlinks) in `dir`: made or
   * checked by this layer. resolveParent trusts them without an lstat per component; anything
   * that removes or replaces a path drops it and everything below it (forget()).
   */
  const knownDirs = new Set<string>();
  let entries = 0;

  const rootStat = lstatSync(dir);
  if (!rootStat.isDirectory()) throw invalidArgument(`apply layer: ${JSON.stringify(dir)} is not a directory`);

  /**
   * Resolves parent components to a real directory inside `dir`, creating missing ones. Returns
   * the resolved components (all real directories, no symlinks). `hidden` says lower layers are
   * hidden below this path (an opaque dir or a fresh dir in this layer replacing a whiteout).
   */
  const resolveParent = (comps: readonly string[]): string[] => {
    // the common case: the whole parent is a directory this layer already made or checked
    if (comps.length === 0 || knownDirs.has(comps.join('/'))) return [...comps];
    const queue = [...comps];
    const cur: string[] = [];
    let links = 0;
    const enter = (c: string) => {
      cur.push(c);
      knownDirs.add(cur.join('/'));
    };
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        cur.pop();
        continue;
      }
      if (knownDirs.has(cur.length ? `${cur.join('/')}/${c}` : c)) {
        cur.push(c);
        continue;
      }
      const path = join(dir, ...cur, c);
      let st = lstatMaybe(path);
      if (st && isOverlayWhiteout(st) && mode === 'overlay') {
        // deleted below; a directory is needed here: make it a fresh, opaque one
        rmSync(path);
        mkdirSync(path, 0o755);
        makeOpaque(path);
        enter(c);
        continue;
      }
      if (!st && parents.length > 0) {
        const lower = lowerLookup(parents, [...cur, c]);
        if (lower?.stat.isSymbolicLink()) {
          st = lower.stat;
          if (++links > MAX_LINKS) throw new Rejected('too many levels of symbolic links');
          const target = readlinkSync(lower.path);
          if (target.startsWith('/')) cur.length = 0;
          queue.unshift(...target.split('/'));
          continue;
        }
        if (lower?.stat.isDirectory()) {
          // copy the directory up with the lower layer's metadata
          mkdirSync(path);
          copyMeta(path, lower.stat);
          dirTimes.push({ path, atime: lower.stat.atime, mtime: lower.stat.mtime });
          enter(c);
          continue;
        }
        if (lower) throw new Rejected(`parent ${JSON.stringify([...cur, c].join('/'))} is not a directory`);
      }
      if (!st) {
        mkdirSync(path, 0o755);
        enter(c);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new Rejected('too many levels of symbolic links');
        const target = readlinkSync(path);
        if (target.startsWith('/')) cur.length = 0;
        queue.unshift(...target.split('/'));
        continue;
      }
      if (!st.isDirectory()) throw new Rejected(`parent ${JSON.stringify([...cur, c].join('/'))} is not a directory`);
      enter(c);
    }
    if (cur.join('/').length > PATH_MAX) throw new Rejected(`path is longer than ${PATH_MAX} bytes`);
    return cur;
  };

  const copyMeta = (path: string, st: Stats) => {
    if (isRoot) lchownSync(path, st.uid, st.gid);
    chmodSync(path, st.mode & 0o7777);
  };

  /** Drops `rel` and everything below it from knownDirs (the path is being removed or replaced). */
  const forget = (rel: string) => {
    if (knownDirs.size === 0) return;
    knownDirs.delete(rel);
    const prefix = rel + '/';
    for (const k of knownDirs) if (k.startsWith(prefix)) knownDirs.delete(k);
  };

  /** Removes whatever is at `path` (never following a symlink) unless keepDir and it is a directory. */
  const clear = (path: string, rel: string, keepDir: boolean): Stats | undefined => {
    const st = lstatMaybe(path);
    if (!st) return undefined;
    if (keepDir && st.isDirectory()) return st;
    forget(rel);
    rmSync(path, { recursive: true, force: true });
    return undefined;
  };

  /**
   * Runs `make` (an O_EXCL-style create: open O_EXCL, mkdir, symlink, link, mknod), and only
   * when something is in the way (EEXIST) clears the path and runs it again: a fresh snapshot
   * costs no lstat per entry, and nothing is ever written through what was there.
   */
  const create = <T>(path: string, rel: string, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    clear(path, rel, false);
    return make();
  };

  const setOwnerModeTimes = (path: string, h: tar.Header, isLink: boolean) => {
    if (isRoot) lchownSync(path, h.uid ?? 0, h.gid ?? 0);
    if (!isLink) chmodSync(path, (h.mode ?? 0o644) & 0o7777);
    const mtime = h.mtime ?? new Date(0);
    lutimesSync(path, mtime, mtime);
  };

  const setXattrs = (path: string, h: tar.Header) => {
    const pax = (h as { pax?: Record<string, string> | null }).pax;
    if (!pax) return;
    // SCHILY.xattr values as raw bytes (tar-stream's text decoding would mangle binary ones)
    const raw = scanner.take(entries) ?? new Map<string, Buffer>();
    for (const [k, v] of Object.entries(pax)) {
      let name: string | undefined;
      let value: Buffer | undefined;
      if (k.startsWith('SCHILY.xattr.')) {
        name = k.slice('SCHILY.xattr.'.length);
        value = raw.get(name) ?? Buffer.from(v, 'utf8');
      } else if (k.startsWith('LIBARCHIVE.xattr.')) {
        name = decodeURIComponent(k.slice('LIBARCHIVE.xattr.'.length));
        value = Buffer.from(v, 'base64');
      }
      if (!name || value === undefined) continue;
      // overlayfs's own attributes are never taken from a layer: they would fake whiteouts/redirects
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) continue;
      nativeSys().lsetxattr(path, name, value, 0);
    }
  };

  const handle = async (h: tar.Header, body: AsyncIterable<Uint8Array>) => {
    entries++;
    if (entries > maxEntries) throw new Rejected(`more than ${maxEntries} entries in the layer`);
    const comps = entryComponents(h.name);
    const type = h.type ?? 'file';
    if (comps.length === 0) {
      // the root itself: take its metadata, nothing else
      if (type !== 'directory') throw new Rejected('the layer root must be a directory');
      setOwnerModeTimes(dir, h, false);
      dirTimes.push({ path: dir, atime: h.mtime ?? new Date(0), mtime: h.mtime ?? new Date(0) });
      return;
    }
    const base = comps[comps.length - 1]!;
    const parent = resolveParent(comps.slice(0, -1));
    const parentPath = join(dir, ...parent);

    if (base === WHITEOUT_OPAQUE) {
      if (mode === 'overlay') {
        makeOpaque(parentPath);
      } else {
        opaqueDirs.push(parent);
      }
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const victim = base.slice(WHITEOUT_PREFIX.length);
      if (victim === '' || victim === '.' || victim === '..' || victim.includes('/')) throw new Rejected('invalid whiteout name');
      const path = join(parentPath, victim);
      forget([...parent, victim].join('/'));
      rmSync(path, { recursive: true, force: true });
      if (mode === 'overlay') makeOverlayWhiteout(path);
      return;
    }

    const path = join(parentPath, base);
    const rel = [...parent, base].join('/');
    if (Buffer.byteLength(rel) > PATH_MAX) throw new Rejected(`path is longer than ${PATH_MAX} bytes`);
    written.add(rel);
    const size = h.size ?? 0;
    if (size < 0 || size > maxFileSize) throw new Rejected(`size ${size} is out of range`);

    switch (type) {
      case 'file':
      case 'contiguous-file': {
        const fd = create(path, rel, () => openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
        try {
          let n = 0;
          if (size <= SYNC_WRITE_MAX) {
            for await (const chunk of body) {
              n += chunk.length;
              writeAllSync(fd, chunk);
            }
          } else {
            // one write in flight on the thread pool while the next chunk is inflated, hashed
            // and parsed on this thread
            let inflight: Promise<void> | undefined;
            try {
              for await (const chunk of body) {
                n += chunk.length;
                if (inflight) await inflight;
                inflight = writeAll(fd, chunk);
              }
            } finally {
              if (inflight) await inflight;
            }
          }
          if (n !== size) throw new Rejected(`truncated: ${n} of ${size} bytes`);
          if (isRoot) fchownSync(fd, h.uid ?? 0, h.gid ?? 0);
          fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
          const mtime = h.mtime ?? new Date(0);
          futimesSync(fd, mtime, mtime);
        } finally {
          closeSync(fd);
        }
        setXattrs(path, h);
        return;
      }
      case 'directory': {
        try {
          mkdirSync(path, 0o755);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          if (!clear(path, rel, true)) mkdirSync(path, 0o755);
        }
        knownDirs.add(rel);
        if (isRoot) lchownSync(path, h.uid ?? 0, h.gid ?? 0);
        chmodSync(path, (h.mode ?? 0o755) & 0o7777);
        setXattrs(path, h);
        dirTimes.push({ path, atime: h.mtime ?? new Date(0), mtime: h.mtime ?? new Date(0) });
        return;
      }
      case 'symlink': {
        const target = h.linkname ?? '';
        if (target === '' || target.includes('\0') || Buffer.byteLength(target) > PATH_MAX) throw new Rejected('invalid symlink target');
        create(path, rel, () => symlinkSync(target, path));
        setOwnerModeTimes(path, h, true);
        setXattrs(path, h);
        return;
      }
      case 'link': {
        const targetComps = entryComponents(h.linkname ?? '');
        if (targetComps.length === 0) throw new Rejected('hardlink to the layer root');
        const tparent = resolveParent(targetComps.slice(0, -1));
        const tpath = join(dir, ...tparent, targetComps[targetComps.length - 1]!);
        let tst = lstatMaybe(tpath);
        if (tst && isOverlayWhiteout(tst) && mode === 'overlay') tst = undefined;
        if (!tst && parents.length > 0) {
          // a file of an earlier layer: copy it up into this layer, then link to the copy
          const lower = lowerLookup(parents, [...tparent, targetComps[targetComps.length - 1]!]);
          if (lower && lower.stat.isFile()) {
            copyFileSync(lower.path, tpath);
            copyMeta(tpath, lower.stat);
            lutimesSync(tpath, lower.stat.atime, lower.stat.mtime);
            tst = lstatSync(tpath);
          }
        }
        if (!tst) throw new Rejected(`hardlink target ${JSON.stringify(h.linkname)} does not exist`);
        if (tst.isDirectory()) throw new Rejected(`hardlink target ${JSON.stringify(h.linkname)} is a directory`);
        if (tpath === path) return;
        create(path, rel, () => linkSync(tpath, path));
        return;
      }
      case 'character-device':
      case 'block-device': {
        if (!options.allowDevices) throw new Rejected('device nodes are not allowed in this layer');
        create(path, rel, () => nativeSys().mknod(path, type === 'character-device' ? 'c' : 'b', (h.mode ?? 0o600) & 0o7777, h.devmajor ?? 0, h.devminor ?? 0));
        setOwnerModeTimes(path, h, false);
        setXattrs(path, h);
        return;
      }
      case 'fifo': {
        create(path, rel, () => nativeSys().mknod(path, 'p', (h.mode ?? 0o600) & 0o7777, 0, 0));
        setOwnerModeTimes(path, h, false);
        setXattrs(path, h);
        return;
      }
      default:
        throw new Rejected(`unsupported entry type ${JSON.stringify(type)}`);
    }
  };

  const extract = tar.extract();
  const feeding = Promise.all([layer.inflated, pipeline(layer.tar, extract, options.signal ? { signal: options.signal } : {})]);
  feeding.catch(() => {}); // reported through the entry loop or awaited below
  let current = '';
  try {
    for await (const entry of extract) {
      current = entry.header.name;
      try {
        await handle(entry.header, entry as unknown as AsyncIterable<Uint8Array>);
      } finally {
        entry.resume();
      }
    }
    await feeding;
    // extraction may finish before the end-of-archive padding is read: drain it into the digest
    for await (const chunk of layer.tar) void chunk; // the transform digests it on the way
    for (const d of opaqueDirs) {
      const p = join(dir, ...d);
      const prefix = d.length ? d.join('/') + '/' : '';
      for (const name of readdirSync(p)) {
        if (!written.has(prefix + name)) rmSync(join(p, name), { recursive: true, force: true });
      }
    }
    for (let i = dirTimes.length - 1; i >= 0; i--) {
      const t = dirTimes[i]!;
      try {
        lutimesSync(t.path, t.atime, t.mtime);
      } catch {
        // removed later in the layer
      }
    }
  } catch (err) {
    extract.destroy();
    layer.close();
    if (err instanceof Rejected) throw invalidArgument(`apply layer: entry ${JSON.stringify(current)}: ${err.message}`);
    if (err instanceof BerthError) throw err;
    if (options.signal?.aborted) throw wrap(err, 'apply layer: canceled');
    throw wrap(err, current ? `apply layer: entry ${JSON.stringify(current)}` : 'apply layer');
  }
  const c = layer.compressed();
  return { diffID: diff.digest(), size: diff.size, digest: options.knownDigest ?? c.digest!, compressedSize: c.size, compression: layer.compression, entries };
}

/** Convenience: apply a layer held in memory. */
export function applyLayerBuffer(data: Uint8Array, dir: string, options: ApplyLayerOptions = {}): Promise<ApplyLayerResult> {
  return applyLayer(Readable.from([data]), dir, options);
}
