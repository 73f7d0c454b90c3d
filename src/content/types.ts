import type { Readable } from 'node:stream';
import type { Digest } from '../lib/index.ts';

/**
 * The content store keeps immutable blobs addressed by digest (layers, manifests, configs).
 *
 * Lifecycle of a blob: a client opens a Writer under an *ingest ref* (any caller-chosen string
 * naming one ongoing write, e.g. `pull-<digest>`), writes bytes (resumable: the ingest's offset
 * survives a crash or restart), then commits it. Commit verifies the size and digest and only
 * then makes the blob visible under its digest. A blob is never served before that point, and a
 * committed blob is never modified; labels are the only mutable part.
 *
 * The store is composed of small role interfaces, as containerd's is:
 *   Provider      reads committed blobs
 *   Ingester      opens writers
 *   IngestManager sees and aborts in-progress ingests
 *   Manager       inspects, labels, walks and deletes committed blobs
 */

export type Labels = Record<string, string>;

/** What the store knows about one committed blob. */
export interface Info {
  digest: Digest;
  size: number;
  /** When the blob was committed. */
  createdAt: Date;
  /** Last change to the blob's labels (createdAt when never changed). */
  updatedAt: Date;
  labels: Labels;
}

/** The progress of one ingest ref. */
export interface Status {
  ref: string;
  /** Bytes written so far (on disk, so it survives a restart). */
  offset: number;
  /** Expected total size, 0 when unknown. */
  total: number;
  /** Expected digest, when the writer was opened with one. */
  expected?: Digest;
  startedAt: Date;
  updatedAt: Date;
}

/**
 * Size (and digest) a reader or writer expects; a subset of an OCI descriptor, so a Descriptor
 * can be passed as is. The digest is checked (invalid-argument when malformed).
 */
export interface BlobRef {
  digest: string;
  size?: number;
}

/** Random access to one committed blob. */
export interface ReaderAt {
  readonly size: number;
  /**
   * The open file the bytes come from, when there is one: another thread of this process may
   * reopen it (/proc/self/fd/N) to read the blob itself. Valid until close().
   */
  readonly fd?: number;
  /** Reads up to `buffer.length` bytes at `position`; returns the count (0 at end). */
  readAt(buffer: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface ReadStreamOptions {
  /** First byte (inclusive), default 0. */
  start?: number;
  /** Last byte (inclusive, as fs.createReadStream), default the end. */
  end?: number;
  signal?: AbortSignal;
}

export interface Provider {
  /** Info of a committed blob; not-found otherwise. */
  info(digest: string): Promise<Info>;
  exists(digest: string): Promise<boolean>;
  readerAt(desc: BlobRef): Promise<ReaderAt>;
  /** A stream of the blob's bytes, optionally one byte range; not-found before commit. */
  createReadStream(desc: BlobRef, options?: ReadStreamOptions): Promise<Readable>;
  /** The whole blob in memory (manifests, configs); checked against `desc.size` when given. */
  readBlob(desc: BlobRef): Promise<Buffer>;
}

export interface WriterOptions {
  /** Expected digest and size: commit fails unless they match, and the writer is refused with
   * already-exists when a blob of that digest is already committed. */
  expected?: BlobRef;
  signal?: AbortSignal;
}

export interface CommitOptions {
  labels?: Labels;
  /** Called once size and digest are checked, before the bytes are synced and made visible. */
  onVerified?: () => void;
}

/** One open ingest. At most one Writer per ref is open at a time in a store. */
export interface Writer {
  readonly ref: string;
  /** Bytes written so far (a resumed ingest starts at the bytes already on disk). */
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Writes the chunks in order with one system call where it can (no copy into one buffer). */
  writev(chunks: readonly Uint8Array[]): Promise<void>;
  /**
   * A reader over the ingest's bytes, including those written after it was opened (its size is
   * what was written then); it stays readable after commit. For reading a blob as it arrives.
   */
  openReader(): Promise<ReaderAt>;
  /** The digest of the bytes written so far. */
  digest(): Digest;
  status(): Promise<Status>;
  /** Drops everything after `size` bytes (0 restarts the ingest). */
  truncate(size: number): Promise<void>;
  /**
   * Verifies the written bytes against `size` and `expected` (and the writer's own expectation),
   * then makes the blob visible under its digest and removes the ingest. Throws already-exists
   * when the blob was committed meanwhile by someone else (the ingest is removed either way),
   * failed-precondition on a size or digest mismatch (the ingest is kept for inspection/abort).
   */
  commit(size?: number, expected?: string, options?: CommitOptions): Promise<Digest>;
  /** Releases the ref without committing; the ingest stays on disk and can be resumed. */
  close(): Promise<void>;
}

export interface Ingester {
  /**
   * Opens (or resumes) the ingest `ref`. Throws unavailable when another writer holds `ref`
   * (callers retry: see writeBlob/writeStream), already-exists when `expected.digest` is already
   * committed.
   */
  writer(ref: string, options?: WriterOptions): Promise<Writer>;
}

export interface IngestManager {
  /** Status of one ingest; not-found when none. */
  status(ref: string): Promise<Status>;
  /** Every ingest on disk, optionally only refs starting with `prefix`. */
  listStatuses(options?: { prefix?: string }): Promise<Status[]>;
  /** Removes an ingest's data; unavailable while a writer holds it open. */
  abort(ref: string): Promise<void>;
  /** True while a Writer for `ref` is open in this store. */
  isIngestActive(ref: string): boolean;
  /**
   * Removes ingests no writer holds whose last write is before `olderThan` (including ones a
   * crash left half-created), except refs `keep` returns true for; returns their refs. GC calls
   * this.
   */
  pruneIngests(options: { olderThan: Date; keep?: (ref: string) => boolean }): Promise<string[]>;
}

export interface Manager {
  info(digest: string): Promise<Info>;
  /**
   * Changes labels. Without fieldpaths the labels are replaced; with fieldpaths like
   * `labels.<key>` only those keys are set (or removed when absent from `info.labels`), and
   * `labels` replaces all. Returns the updated info.
   */
  update(info: { digest: string; labels: Labels }, fieldpaths?: readonly string[]): Promise<Info>;
  /** Calls `fn` for every committed blob. */
  walk(fn: (info: Info) => void | Promise<void>): Promise<void>;
  /** Removes a committed blob and its labels; not-found when absent. */
  delete(digest: string): Promise<void>;
}

export interface ContentStore extends Provider, Ingester, IngestManager, Manager {}
