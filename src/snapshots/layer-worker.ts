import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BerthError, internal, type ErrorCode } from '../lib/index.ts';
import { applyOpenedLayer, openLayer, type ApplyLayerOptions, type ApplyLayerResult, type OpenLayerOptions } from './apply-layer.ts';
import { readAhead, type BlobReaderAt } from './decompress.ts';
import type { GrowingReaderAt } from './growing-blob.ts';

/** How long the layer worker stays without a job before its thread ends (a warm one extracts faster). */
const IDLE_MS = 60_000;
/** Smaller blobs are extracted on the calling thread: the worker would cost more than it saves. */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/** What the main thread sends the layer worker (layer-worker-main.ts). */
export type LayerWorkerRequest =
  | { op: 'open'; id: number; fd: number; knownDigest?: string; aheadBytes?: number; growing?: { size: number; available: number } }
  /** More bytes of a growing blob are on disk, or it ended (complete, or failed with a message). */
  | { op: 'grow'; id: number; available: number; complete?: boolean; failed?: string }
  | { op: 'apply'; id: number; dir: string; options: Omit<ApplyLayerOptions, 'signal'> }
  | { op: 'cancel'; id: number };

/** What it answers: 'opened' once it has its own descriptor, then 'done' or 'failed'. */
export type LayerWorkerReply =
  | { op: 'opened'; id: number }
  | { op: 'done'; id: number; result: ApplyLayerResult }
  | { op: 'failed'; id: number; code: ErrorCode; message: string };

/**
 * A layer blob opened for extraction: it is already being decompressed and hashed (up to
 * `aheadBytes` ahead), on the layer worker thread when possible. apply() extracts it into a
 * directory; close() drops it unapplied.
 */
export interface LayerJob {
  apply(dir: string, options?: ApplyLayerOptions): Promise<ApplyLayerResult>;
  close(): void;
  /** For a blob still downloading: settles when it is whole and verified (see GrowingBlob). */
  readonly verified?: Promise<void>;
}

interface Pending {
  opened?: { resolve: () => void; reject: (err: unknown) => void };
  applied?: { resolve: (r: ApplyLayerResult) => void; reject: (err: unknown) => void };
}

/** The worker's entry: the bundled script next to this chunk, or the TypeScript source under tsx. */
function workerEntry(): { script: string; eval: boolean } | undefined {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // running from source (tests): the worker registers the same TypeScript loader first
    const source = new URL('./layer-worker-main.ts', self).href;
    const loader = import.meta.resolve('tsx/esm/api');
    return { script: `import(${JSON.stringify(loader)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`, eval: true };
  }
  const bundled = fileURLToPath(new URL('./layer-worker.js', self));
  return existsSync(bundled) ? { script: bundled, eval: false } : undefined;
}

/**
 * One worker thread for every layer extraction of the process, started on first use. It keeps
 * the process alive only while a job is pending; if it dies, pending jobs fail and the next job
 * starts a new one.
 */
class LayerWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly entry: { script: string; eval: boolean }) {}

  start(): void {
    this.ensure();
  }

  threadId(): number | undefined {
    return this.worker?.threadId;
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.entry.script, { eval: this.entry.eval, stdout: false, stderr: false });
    w.on('message', (m: LayerWorkerReply) => this.onReply(m));
    const fail = (err: unknown) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      const cause = internal(`layer worker stopped: ${err instanceof Error ? err.message : String(err)}`);
      for (const p of this.pending.values()) {
        p.opened?.reject(cause);
        p.applied?.reject(cause);
      }
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    w.unref();
    this.worker = w;
    this.armIdle();
    return w;
  }

  /** With no job for a while the thread ends (its memory with it); the next job starts another. */
  private armIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      const w = this.worker;
      if (!w || this.pending.size > 0) return;
      this.worker = undefined;
      void w.terminate();
    }, IDLE_MS);
    this.idle.unref();
  }

  private onReply(m: LayerWorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.op === 'opened') {
      p.opened?.resolve();
      delete p.opened;
      return;
    }
    this.settle(m.id);
    if (m.op === 'done') {
      p.applied?.resolve(m.result);
      return;
    }
    const err = new BerthError(m.code, m.message);
    p.opened?.reject(err);
    p.applied?.reject(err);
  }

  private track(id: number, p: Pending): void {
    if (this.pending.size === 0) this.worker?.ref();
    clearTimeout(this.idle);
    this.pending.set(id, p);
  }

  private settle(id: number): void {
    if (!this.pending.delete(id) || this.pending.size > 0) return;
    this.worker?.unref();
    this.armIdle();
  }

  async open(reader: BlobReaderAt & { fd: number }, options: OpenLayerOptions): Promise<LayerJob> {
    const w = this.ensure();
    const id = this.nextId++;
    const entry: Pending = {};
    const opened = new Promise<void>((resolve, reject) => (entry.opened = { resolve, reject }));
    this.track(id, entry);
    const growing = (reader as Partial<GrowingReaderAt>).growing;
    w.postMessage({
      op: 'open', id, fd: reader.fd,
      ...(options.knownDigest ? { knownDigest: options.knownDigest } : {}),
      ...(options.aheadBytes ? { aheadBytes: options.aheadBytes } : {}),
      ...(growing ? { growing: { size: reader.size, available: growing.available() } } : {}),
    } satisfies LayerWorkerRequest);
    try {
      await opened;
    } finally {
      await reader.close();
    }
    if (growing) {
      // relay the download's progress until the blob settles (or the job is gone)
      const unwatch = growing.watch(() => {
        if (this.pending.has(id)) w.postMessage({ op: 'grow', id, available: growing.available() } satisfies LayerWorkerRequest);
      });
      growing.verified.then(
        () => this.pending.has(id) && w.postMessage({ op: 'grow', id, available: reader.size, complete: true } satisfies LayerWorkerRequest),
        (err: unknown) => this.pending.has(id) && w.postMessage({ op: 'grow', id, available: 0, failed: err instanceof Error ? err.message : String(err) } satisfies LayerWorkerRequest),
      ).finally(unwatch);
    }
    return singleUse(
      (dir, applyOptions) => {
        const { signal, ...rest } = applyOptions;
        const done = new Promise<ApplyLayerResult>((resolve, reject) => (entry.applied = { resolve, reject }));
        const onAbort = () => w.postMessage({ op: 'cancel', id } satisfies LayerWorkerRequest);
        if (signal?.aborted) onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        w.postMessage({ op: 'apply', id, dir, options: rest } satisfies LayerWorkerRequest);
        return done.finally(() => signal?.removeEventListener('abort', onAbort));
      },
      () => {
        this.settle(id);
        w.postMessage({ op: 'cancel', id } satisfies LayerWorkerRequest);
      },
      growing?.verified,
    );
  }
}

let shared: LayerWorker | null | undefined;

function layerWorker(): LayerWorker | null {
  if (shared === undefined) {
    const entry = workerEntry();
    shared = entry ? new LayerWorker(entry) : null;
  }
  return shared;
}

/** The worker thread's id while one runs (diagnostics; undefined when none has started). */
export function layerWorkerThread(): number | undefined {
  return shared ? shared.threadId() : undefined;
}

/** Whether a blob of `size` bytes is extracted on the layer worker (when it is a file). */
export function onWorker(size: number): boolean {
  return size >= WORKER_MIN_BYTES;
}

/** Starts the layer worker now (an unpack about to wait for downloads), so it is loaded by the time the first blob is in. */
export function warmLayerWorker(): void {
  layerWorker()?.start();
}

/**
 * Opens a layer blob for extraction and starts decompressing it. The reader is owned by the job
 * (closed as soon as it is no longer needed). With a file descriptor behind a reader of 4 MiB or
 * more the work runs on the layer worker thread; otherwise on this one.
 */
export async function openLayerJob(reader: BlobReaderAt, options: OpenLayerOptions = {}): Promise<LayerJob> {
  const worker = reader.fd !== undefined && onWorker(reader.size) ? layerWorker() : null;
  if (worker) return worker.open(reader as BlobReaderAt & { fd: number }, options);
  return openStreamJob(readAhead(reader), options, (reader as Partial<GrowingReaderAt>).growing?.verified);
}

/** openLayerJob for a blob that is only a stream: the work runs on this thread. */
export async function openStreamJob(source: AsyncIterable<Uint8Array>, options: OpenLayerOptions = {}, verified?: Promise<void>): Promise<LayerJob> {
  const layer = await openLayer(source, options);
  return singleUse((dir, applyOptions) => applyOpenedLayer(layer, dir, applyOptions), () => layer.close(), verified);
}

/** A LayerJob from its two actions: either runs once, and neither after the other. */
function singleUse(apply: (dir: string, options: ApplyLayerOptions) => Promise<ApplyLayerResult>, close: () => void, verified: Promise<void> | undefined): LayerJob {
  let used = false;
  return {
    ...(verified ? { verified } : {}),
    apply: (dir, options = {}) => {
      if (used) return Promise.reject(internal('layer job applied twice'));
      used = true;
      return apply(dir, options);
    },
    close: () => {
      if (used) return;
      used = true;
      close();
    },
  };
}
