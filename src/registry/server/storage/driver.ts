import type { Readable } from 'node:stream';

/**
 * The storage driver under all registry logic: a deliberately dumb key/value file system over
 * slash-separated paths ("/v2/blobs/sha256/ab/abcd.../data"). It knows nothing about blobs,
 * manifests or digests, so an object store (S3) can implement it without touching the handlers.
 *
 * - getContent/putContent: small files (links, manifests); putContent is atomic (readers see the
 *   old content or the new, never a torn write).
 * - reader(path, offset): a stream from a byte offset (blob downloads, Range).
 * - writer(path, {append}): a streaming writer for uploads that may continue an existing file
 *   (chunked uploads across requests and across restarts).
 * - move(src, dst): makes a completed upload visible at its final path in one step, durably
 *   (the data is on stable storage before it is visible).
 * - list(path): the direct children's names; delete(path): the path and everything under it.
 * Missing paths raise a not-found BerthError.
 */
export interface StorageDriver {
  readonly name: string;
  getContent(path: string): Promise<Buffer>;
  putContent(path: string, data: string | Uint8Array): Promise<void>;
  stat(path: string): Promise<FileInfo>;
  list(path: string): Promise<string[]>;
  delete(path: string): Promise<void>;
  move(src: string, dst: string): Promise<void>;
  reader(path: string, offset?: number, end?: number): Promise<Readable>;
  writer(path: string, options?: { append?: boolean }): Promise<FileWriter>;
  /** Visits every file (not directory) under `path`, depth first. */
  walk(path: string, visit: (info: FileInfo) => Promise<void> | void): Promise<void>;
}

export interface FileInfo {
  path: string;
  size: number;
  isDir: boolean;
  modTime: Date;
}

/** A writer returned by StorageDriver.writer; `size` counts bytes already in the file. */
export interface FileWriter {
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes to stable storage and closes. */
  commit(): Promise<void>;
  /** Closes and removes what was written. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}
