import { setTimeout as sleep } from 'node:timers/promises';
import {
  errorCode,
  isAlreadyExists,
  isFailedPrecondition,
  sha256,
  unavailable,
  wrap,
  type Digest,
} from '../lib/index.ts';
import type { BlobRef, Ingester, IngestManager, Labels, Provider, Writer } from './types.ts';

/** Bytes for an ingest: a (async) iterable, or a function that starts the bytes at `offset`
 * (e.g. an HTTP Range request), so a resumed ingest does not re-download what is on disk. */
export type BlobSource =
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | ((offset: number) => Iterable<Uint8Array> | AsyncIterable<Uint8Array> | Promise<Iterable<Uint8Array> | AsyncIterable<Uint8Array>>);

export interface WriteStreamOptions {
  expected?: BlobRef;
  labels?: Labels;
  signal?: AbortSignal;
  /** How long to wait for another writer of the same ref before giving up. Default 10 min. */
  lockTimeoutMs?: number;
}

/** The store roles the write helpers need. */
export type WritableStore = Ingester & Pick<Provider, 'info'> & Pick<IngestManager, 'abort'>;

/**
 * Opens a writer for `ref`, waiting while another writer holds it (containerd's OpenWriter).
 * Returns undefined when the expected blob is already committed, so concurrent ingests of one
 * digest coalesce: the second waits for the first, then finds the blob.
 */
export async function openWriter(store: WritableStore, ref: string, options: WriteStreamOptions = {}): Promise<Writer | undefined> {
  const deadline = Date.now() + (options.lockTimeoutMs ?? 600_000);
  let delay = 5;
  for (;;) {
    try {
      const wopts: { expected?: BlobRef; signal?: AbortSignal } = {};
      if (options.expected) wopts.expected = options.expected;
      if (options.signal) wopts.signal = options.signal;
      return await store.writer(ref, wopts);
    } catch (err) {
      if (isAlreadyExists(err)) return undefined;
      if (errorCode(err) !== 'unavailable') throw err;
      if (Date.now() >= deadline) throw unavailable(`open writer ${JSON.stringify(ref)}: still locked after waiting`, err);
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
      delay = Math.min(delay * 2, 250);
    }
  }
}

/**
 * Ingests `source` under `ref` and commits it; resumes a previous partial ingest of the same ref
 * (asking `source` for the bytes from the offset, or skipping them). Returns the blob's digest
 * and size. Already-committed content is success. On a size or digest mismatch the ingest is
 * discarded (so a retry starts clean) and failed-precondition is thrown.
 */
export async function writeStream(
  store: WritableStore,
  ref: string,
  source: BlobSource,
  options: WriteStreamOptions = {},
): Promise<{ digest: Digest; size: number }> {
  const done = async (digest: Digest) => ({ digest, size: options.expected?.size ?? (await store.info(digest)).size });
  const w = await openWriter(store, ref, options);
  if (!w) return done(options.expected!.digest as Digest);
  let committed = false;
  try {
    let skip = w.offset;
    let iterable: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
    if (typeof source === 'function') {
      iterable = await source(w.offset);
      skip = 0;
    } else {
      iterable = source;
    }
    for await (const chunk of iterable) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      await w.write(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
    const commitOpts = options.labels ? { labels: options.labels } : {};
    try {
      const digest = await w.commit(options.expected?.size, options.expected?.digest, commitOpts);
      committed = true;
      return await done(digest);
    } catch (err) {
      if (isAlreadyExists(err)) {
        committed = true;
        return await done((options.expected?.digest as Digest | undefined) ?? w.digest());
      }
      if (isFailedPrecondition(err)) {
        await w.close();
        committed = true;
        await store.abort(ref).catch(() => undefined);
      }
      throw err;
    }
  } catch (err) {
    throw wrap(err, `write ${JSON.stringify(ref)}`);
  } finally {
    if (!committed) await w.close();
  }
}

/** Writes an in-memory blob; the ref defaults to one derived from its digest. */
export async function writeBlob(
  store: WritableStore,
  data: Uint8Array | string,
  options: WriteStreamOptions & { ref?: string } = {},
): Promise<{ digest: Digest; size: number }> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const expected: BlobRef = options.expected ?? { digest: sha256(bytes), size: bytes.length };
  const ref = options.ref ?? `write-blob-${expected.digest}`;
  return writeStream(store, ref, [bytes], { ...options, expected: { size: bytes.length, ...expected } });
}
