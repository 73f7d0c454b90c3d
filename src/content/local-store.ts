import { createHash, type Hash } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  alreadyExists,
  digestAlgorithm,
  digestHex,
  failedPrecondition,
  invalidArgument,
  isDigest,
  isNotFound,
  notFound,
  syncDir,
  unavailable,
  wrap,
  type Digest,
  type Logger,
} from '../lib/index.ts';
import { MemoryLabelStore, validateLabels, type LabelStore } from './label-store.ts';
import type {
  BlobRef,
  CommitOptions,
  ContentStore,
  Info,
  Labels,
  ReadStreamOptions,
  ReaderAt,
  Status,
  Writer,
  WriterOptions,
} from './types.ts';

/*
 * On-disk layout under the store's root (`<data-root>/content`):
 *
 *   blobs/<alg>/<hex>             committed blobs, read-only (0444), verified before they appear
 *   ingest/<sha256(ref)>/ref      the ingest ref, written first
 *   ingest/<sha256(ref)>/data     bytes received so far; its size is the resumable offset
 *   ingest/<sha256(ref)>/total    expected size (0 when unknown)
 *   ingest/<sha256(ref)>/expected expected digest (may be absent)
 *   ingest/<sha256(ref)>/startedat
 *
 * Commit fsyncs `data`, verifies size and digest, renames it to its blob path (already-exists if
 * the blob is there, so two writers of one digest coalesce), fsyncs the blob dir and removes the
 * ingest dir. A crash at any point leaves either a complete blob or an ingest (resumable, or
 * removed by pruneIngests); a partial blob is never under blobs/.
 */

/** `<data-root>/content`, the root a LocalContentStore is opened at. */
export function contentRoot(dataRoot: string): string {
  return join(dataRoot, 'content');
}

export interface LocalContentStoreOptions {
  /** Label storage; the metadata db's SqliteLabelStore in the daemon. Default: in memory. */
  labels?: LabelStore;
  logger?: Logger;
}

const hexRe = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ } as const;

/** A content store in a local directory (containerd's content/local). */
export class LocalContentStore implements ContentStore {
  readonly root: string;
  private readonly labels: LabelStore;
  private readonly logger: Logger | undefined;
  /** Ingest refs with an open Writer in this process. */
  private readonly locked = new Set<string>();

  constructor(root: string, options: LocalContentStoreOptions = {}) {
    this.root = root;
    this.labels = options.labels ?? new MemoryLabelStore();
    this.logger = options.logger;
  }

  /** Path of a committed blob (it may not exist). */
  blobPath(digest: string): string {
    if (!isDigest(digest)) throw invalidArgument(`invalid digest ${JSON.stringify(digest)}`);
    return join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  private ingestDir(ref: string): string {
    return join(this.root, 'ingest', createHash('sha256').update(ref).digest('hex'));
  }

  // ---- Provider ----

  async info(digest: string): Promise<Info> {
    let st;
    try {
      st = await stat(this.blobPath(digest));
    } catch (err) {
      if (isNotFound(err)) throw notFound(`content ${digest}: not found`);
      throw wrap(err, `stat content ${digest}`);
    }
    const l = this.labels.get(digest as Digest);
    return {
      digest: digest as Digest,
      size: st.size,
      createdAt: st.mtime,
      updatedAt: l && l.updatedAt > st.mtime ? l.updatedAt : st.mtime,
      labels: l?.labels ?? {},
    };
  }

  async exists(digest: string): Promise<boolean> {
    try {
      await stat(this.blobPath(digest));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async openBlob(desc: BlobRef): Promise<{ fh: FileHandle; size: number }> {
    let fh: FileHandle;
    try {
      fh = await open(this.blobPath(desc.digest), 'r');
    } catch (err) {
      if (isNotFound(err)) throw notFound(`content ${desc.digest}: not found`);
      throw wrap(err, `open content ${desc.digest}`);
    }
    const { size } = await fh.stat();
    if (desc.size !== undefined && desc.size !== size) {
      await fh.close();
      throw failedPrecondition(`open content ${desc.digest}: size is ${size}, descriptor says ${desc.size}`);
    }
    return { fh, size };
  }

  async readerAt(desc: BlobRef): Promise<ReaderAt> {
    const { fh, size } = await this.openBlob(desc);
    return fileReaderAt(fh, size);
  }

  async createReadStream(desc: BlobRef, options: ReadStreamOptions = {}): Promise<Readable> {
    const { fh, size } = await this.openBlob(desc);
    const start = options.start ?? 0;
    const end = options.end ?? size - 1;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || (size > 0 && (start >= size || end < start)) || end >= size) {
      // An empty blob read whole is fine; any explicit range outside the blob is not.
      if (!(size === 0 && options.start === undefined && options.end === undefined)) {
        await fh.close();
        throw invalidArgument(`read content ${desc.digest}: range ${start}-${end} outside blob of size ${size}`);
      }
    }
    const streamOptions: { start: number; end: number; autoClose: boolean; signal?: AbortSignal } = {
      start,
      end: Math.max(end, start - 1),
      autoClose: true,
    };
    if (options.signal) streamOptions.signal = options.signal;
    if (size === 0) {
      await fh.close();
      return Readable.from([]);
    }
    return fh.createReadStream(streamOptions);
  }

  async readBlob(desc: BlobRef): Promise<Buffer> {
    const { fh } = await this.openBlob(desc);
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  // ---- Manager ----

  async update(info: { digest: string; labels: Labels }, fieldpaths?: readonly string[]): Promise<Info> {
    const current = await this.info(info.digest);
    let next: Labels;
    if (!fieldpaths || fieldpaths.length === 0 || fieldpaths.includes('labels')) {
      next = { ...info.labels };
    } else {
      next = { ...current.labels };
      for (const fp of fieldpaths) {
        if (!fp.startsWith('labels.')) throw invalidArgument(`update content ${info.digest}: cannot update ${JSON.stringify(fp)}`);
        const key = fp.slice('labels.'.length);
        const v = info.labels[key];
        if (v === undefined || v === '') delete next[key];
        else next[key] = v;
      }
    }
    validateLabels(next);
    this.labels.set(current.digest, next);
    return this.info(info.digest);
  }

  async walk(fn: (info: Info) => void | Promise<void>): Promise<void> {
    for (const alg of ['sha256', 'sha512'] as const) {
      let names: string[];
      try {
        names = await readdir(join(this.root, 'blobs', alg));
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      for (const name of names.sort()) {
        if (!hexRe[alg].test(name)) continue;
        let info: Info;
        try {
          info = await this.info(`${alg}:${name}`);
        } catch (err) {
          if (isNotFound(err)) continue; // deleted meanwhile
          throw err;
        }
        await fn(info);
      }
    }
  }

  async delete(digest: string): Promise<void> {
    try {
      await unlink(this.blobPath(digest));
    } catch (err) {
      if (isNotFound(err)) throw notFound(`delete content ${digest}: not found`);
      throw wrap(err, `delete content ${digest}`);
    }
    this.labels.delete(digest as Digest);
  }

  // ---- IngestManager ----

  isIngestActive(ref: string): boolean {
    return this.locked.has(ref);
  }

  private async readStatus(dir: string): Promise<Status> {
    const ref = await readFile(join(dir, 'ref'), 'utf8');
    const [total, startedAt, expected, st] = await Promise.all([
      readFile(join(dir, 'total'), 'utf8').catch(() => '0'),
      readFile(join(dir, 'startedat'), 'utf8').catch(() => ''),
      readFile(join(dir, 'expected'), 'utf8').catch(() => ''),
      stat(join(dir, 'data')).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }),
    ]);
    const started = startedAt ? new Date(startedAt) : (st?.birthtime ?? new Date(0));
    const status: Status = {
      ref,
      offset: st?.size ?? 0,
      total: Number(total) || 0,
      startedAt: started,
      updatedAt: st?.mtime ?? started,
    };
    if (isDigest(expected)) status.expected = expected;
    return status;
  }

  async status(ref: string): Promise<Status> {
    try {
      return await this.readStatus(this.ingestDir(ref));
    } catch (err) {
      if (isNotFound(err)) throw notFound(`ingest ${JSON.stringify(ref)}: not found`);
      throw wrap(err, `status of ingest ${JSON.stringify(ref)}`);
    }
  }

  async listStatuses(options: { prefix?: string } = {}): Promise<Status[]> {
    let names: string[];
    try {
      names = await readdir(join(this.root, 'ingest'));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const out: Status[] = [];
    for (const name of names.sort()) {
      try {
        const s = await this.readStatus(join(this.root, 'ingest', name));
        if (!options.prefix || s.ref.startsWith(options.prefix)) out.push(s);
      } catch (err) {
        if (!isNotFound(err)) throw err; // half-created by a crash or removed meanwhile: skip
      }
    }
    return out;
  }

  async abort(ref: string): Promise<void> {
    if (this.locked.has(ref)) throw unavailable(`abort ingest ${JSON.stringify(ref)}: a writer is using it`);
    const dir = this.ingestDir(ref);
    try {
      await stat(dir);
    } catch (err) {
      if (isNotFound(err)) throw notFound(`abort ingest ${JSON.stringify(ref)}: not found`);
      throw err;
    }
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * Removes ingests nobody is writing whose last write is older than `olderThan`, including
   * directories a crash left half-created. Returns the refs (or dir names) removed.
   */
  async pruneIngests(options: { olderThan: Date; keep?: (ref: string) => boolean }): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(this.root, 'ingest'));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const removed: string[] = [];
    // Dirs of refs a writer holds are skipped even before their ref file is written.
    const held = new Set([...this.locked].map((r) => createHash('sha256').update(r).digest('hex')));
    for (const name of names) {
      if (held.has(name)) continue;
      const dir = join(this.root, 'ingest', name);
      let ref: string | undefined;
      let updatedAt: Date;
      try {
        const s = await this.readStatus(dir);
        ref = s.ref;
        updatedAt = s.updatedAt > s.startedAt ? s.updatedAt : s.startedAt;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const st = await stat(dir).catch(() => undefined);
        if (!st) continue;
        updatedAt = st.mtime;
      }
      if (ref !== undefined && (this.locked.has(ref) || options.keep?.(ref))) continue;
      if (updatedAt >= options.olderThan) continue;
      await rm(dir, { recursive: true, force: true });
      this.logger?.info('removed stale ingest', { ref: ref ?? name, updatedAt: updatedAt.toISOString() });
      removed.push(ref ?? name);
    }
    return removed;
  }

  // ---- Ingester ----

  async writer(ref: string, options: WriterOptions = {}): Promise<Writer> {
    if (typeof ref !== 'string' || ref.length === 0) throw invalidArgument('open writer: ref must not be empty');
    const expected = options.expected;
    if (expected) {
      if (!isDigest(expected.digest)) throw invalidArgument(`open writer ${JSON.stringify(ref)}: invalid digest ${JSON.stringify(expected.digest)}`);
      if (expected.size !== undefined && (!Number.isSafeInteger(expected.size) || expected.size < 0)) {
        throw invalidArgument(`open writer ${JSON.stringify(ref)}: invalid size ${expected.size}`);
      }
      if (await this.exists(expected.digest)) throw alreadyExists(`content ${expected.digest}: already exists`);
    }
    if (this.locked.has(ref)) throw unavailable(`ref ${JSON.stringify(ref)} is locked: another writer is ingesting it`);
    this.locked.add(ref);
    try {
      return await this.openWriter(ref, options);
    } catch (err) {
      this.locked.delete(ref);
      throw wrap(err, `open writer ${JSON.stringify(ref)}`);
    }
  }

  private async openWriter(ref: string, options: WriterOptions): Promise<Writer> {
    const dir = this.ingestDir(ref);
    const expected = options.expected;
    await mkdir(dir, { recursive: true });
    let existing: Status | undefined;
    try {
      existing = await this.readStatus(dir);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const dataPath = join(dir, 'data');
    let reset = false;
    if (existing && existing.ref !== ref) {
      // A ref file cut short by a crash (it is not fsynced): the ingest cannot be trusted.
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      existing = undefined;
    }
    if (!existing) {
      await Promise.all([
        writeFile(join(dir, 'startedat'), new Date().toISOString()),
        writeFile(join(dir, 'total'), String(expected?.size ?? 0)),
        expected ? writeFile(join(dir, 'expected'), expected.digest) : undefined,
      ]);
      // The ref file goes last: an ingest dir without it is incomplete and never resumed.
      await writeFile(join(dir, 'ref'), ref);
      reset = true;
    } else if (expected && ((existing.expected && existing.expected !== expected.digest) || (existing.total && expected.size !== undefined && existing.total !== expected.size))) {
      // Same ref, different content: start over.
      await writeFile(join(dir, 'total'), String(expected.size ?? 0));
      await writeFile(join(dir, 'expected'), expected.digest);
      reset = true;
    } else if (expected && !existing.expected) {
      await writeFile(join(dir, 'expected'), expected.digest);
      if (expected.size !== undefined) await writeFile(join(dir, 'total'), String(expected.size));
    }
    const fh = await open(dataPath, reset ? 'w+' : 'a+');
    let want: BlobRef | undefined;
    if (expected) want = { ...expected };
    else if (existing?.expected) want = existing.total ? { digest: existing.expected, size: existing.total } : { digest: existing.expected };
    const algorithm = want ? digestAlgorithm(want.digest as Digest) : 'sha256';
    const writer = new LocalWriter(this, { ref, dir, fh, algorithm, expected: want, signal: options.signal });
    await writer.resume();
    return writer;
  }

  /** @internal used by LocalWriter */
  release(ref: string): void {
    this.locked.delete(ref);
  }

  /** @internal used by LocalWriter: makes an ingest's data visible as a blob. */
  async commitIngest(ref: string, dir: string, digest: Digest, labels: Labels | undefined): Promise<void> {
    const target = this.blobPath(digest);
    const blobDir = join(this.root, 'blobs', digestAlgorithm(digest));
    await mkdir(blobDir, { recursive: true });
    if (await this.exists(digest)) {
      await rm(dir, { recursive: true, force: true });
      throw alreadyExists(`commit ${JSON.stringify(ref)}: content ${digest} already exists`);
    }
    // A writer of the same digest under another ref may rename at the same moment: the bytes are
    // identical (both verified), so whichever rename lands last is the same blob.
    await rename(join(dir, 'data'), target);
    const now = new Date();
    await Promise.all([chmod(target, 0o444), utimes(target, now, now)]);
    await syncDir(blobDir);
    if (labels && Object.keys(labels).length > 0) this.labels.set(digest, labels);
    await rm(dir, { recursive: true, force: true });
  }
}

interface LocalWriterInit {
  ref: string;
  dir: string;
  fh: FileHandle;
  algorithm: 'sha256' | 'sha512';
  expected: BlobRef | undefined;
  signal: AbortSignal | undefined;
}

/** Random access to an open file of `size` bytes (reads stop at `limit`, default `size`); owns `fh`. */
function fileReaderAt(fh: FileHandle, size: number, limit = size): ReaderAt {
  let closed = false;
  return {
    size,
    fd: fh.fd,
    async readAt(buffer: Uint8Array, position: number): Promise<number> {
      if (position < 0 || !Number.isInteger(position)) throw invalidArgument(`read at ${position}: invalid offset`);
      if (position >= limit || buffer.length === 0) return 0;
      const { bytesRead } = await fh.read(buffer, 0, Math.min(buffer.length, limit - position), position);
      return bytesRead;
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

class LocalWriter implements Writer {
  readonly ref: string;
  private readonly store: LocalContentStore;
  private readonly init: LocalWriterInit;
  private hash: Hash;
  private written = 0;
  private closed = false;

  constructor(store: LocalContentStore, init: LocalWriterInit) {
    this.store = store;
    this.init = init;
    this.ref = init.ref;
    this.hash = createHash(init.algorithm);
  }

  get offset(): number {
    return this.written;
  }

  /** Recomputes the digest state from the bytes already on disk (a resumed ingest). */
  async resume(): Promise<void> {
    const { size } = await this.init.fh.stat();
    const limit = this.init.expected?.size;
    if (limit !== undefined && size > limit) {
      await this.truncate(0);
      return;
    }
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    while (pos < size) {
      const { bytesRead } = await this.init.fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      this.hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    this.written = pos;
  }

  private check(action: string): void {
    if (this.closed) throw failedPrecondition(`${action} ${JSON.stringify(this.ref)}: writer is closed`);
    if (this.init.signal?.aborted) throw wrap(this.init.signal.reason ?? new Error('aborted'), `${action} ${JSON.stringify(this.ref)}`);
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.writev([chunk]);
  }

  async writev(chunks: readonly Uint8Array[]): Promise<void> {
    this.check('write');
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const limit = this.init.expected?.size;
    if (limit !== undefined && this.written + total > limit) {
      throw failedPrecondition(`write ${JSON.stringify(this.ref)}: ${this.written + total} bytes exceed the expected size ${limit}`);
    }
    let rest = chunks.filter((c) => c.length > 0);
    while (rest.length > 0) {
      let { bytesWritten } = await this.init.fh.writev(rest as Uint8Array[]);
      // a short write: skip what went out, go on from inside the chunk it stopped in
      while (rest.length > 0 && bytesWritten >= rest[0]!.length) bytesWritten -= rest.shift()!.length;
      if (bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
    }
    for (const c of chunks) this.hash.update(c);
    this.written += total;
  }

  async openReader(): Promise<ReaderAt> {
    this.check('open reader');
    // reads may go past `written` up to the expected size: the reader follows the ingest as it grows
    return fileReaderAt(await open(join(this.init.dir, 'data'), 'r'), this.written, this.init.expected?.size ?? Number.MAX_SAFE_INTEGER);
  }

  digest(): Digest {
    return `${this.init.algorithm}:${this.hash.copy().digest('hex')}`;
  }

  async status(): Promise<Status> {
    const s = await this.store.status(this.ref);
    return { ...s, offset: this.written };
  }

  async truncate(size: number): Promise<void> {
    this.check('truncate');
    if (!Number.isSafeInteger(size) || size < 0 || size > this.written) {
      throw invalidArgument(`truncate ${JSON.stringify(this.ref)}: invalid size ${size}`);
    }
    await this.init.fh.truncate(size);
    this.hash = createHash(this.init.algorithm);
    this.written = 0;
    if (size > 0) await this.resume();
  }

  async commit(size?: number, expected?: string, options: CommitOptions = {}): Promise<Digest> {
    this.check('commit');
    const what = `commit ${JSON.stringify(this.ref)}`;
    if (options.labels) validateLabels(options.labels);
    const wantSize = size !== undefined && size > 0 ? size : this.init.expected?.size;
    if (wantSize !== undefined && wantSize !== this.written) {
      throw failedPrecondition(`${what}: unexpected size ${this.written}, expected ${wantSize}`);
    }
    const wantDigest = expected ?? this.init.expected?.digest;
    if (wantDigest !== undefined && !isDigest(wantDigest)) throw invalidArgument(`${what}: invalid digest ${JSON.stringify(wantDigest)}`);
    if (wantDigest && digestAlgorithm(wantDigest) !== this.init.algorithm) {
      throw invalidArgument(`${what}: expected digest ${wantDigest} uses a different algorithm than the writer (${this.init.algorithm})`);
    }
    const actual = this.digest();
    if (wantDigest && wantDigest !== actual) {
      throw failedPrecondition(`${what}: unexpected digest ${actual}, expected ${wantDigest}`);
    }
    options.onVerified?.();
    await this.init.fh.sync();
    await this.init.fh.close();
    this.closed = true;
    try {
      await this.store.commitIngest(this.ref, this.init.dir, actual, options.labels);
    } finally {
      this.store.release(this.ref);
    }
    return actual;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.init.fh.close();
    } finally {
      this.store.release(this.ref);
    }
  }
}
