// The layer worker thread: decompresses, hashes and extracts layers sent by layer-worker.ts, so
// none of that runs on the daemon's event loop. Messages are LayerWorkerRequest; every job ends
// with one 'done' or 'failed' reply, except a job canceled before it was applied.
import { close, fstatSync, openSync, read } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { errorCode, messageOf, type Digest } from '../lib/index.ts';
import { applyOpenedLayer, openLayer, type OpenedLayer } from './apply-layer.ts';
import { readAhead, type BlobReaderAt } from './decompress.ts';
import { growingReaderAt, type GrowthState } from './growing-blob.ts';
import type { LayerWorkerReply, LayerWorkerRequest } from './layer-worker.ts';

interface Job {
  layer: Promise<OpenedLayer>;
  abort: AbortController;
  applying: boolean;
  /** For a blob still downloading: what the main thread last said of it. */
  growth?: { state: GrowthState; changed: () => void };
}

const jobs = new Map<number, Job>();
const port = parentPort;
if (!port) throw new Error('layer-worker-main runs as a worker thread');

function reply(message: LayerWorkerReply): void {
  port!.postMessage(message);
}

/**
 * A reader over this thread's own descriptor for the file the main thread has open as `fd`;
 * with `growth`, over a file still being written (reads wait for the bytes).
 */
function reopen(fd: number, growing: { size: number; available: number } | undefined): { reader: BlobReaderAt; growth?: Job['growth'] } {
  const own = openSync(`/proc/self/fd/${fd}`, 'r');
  let closed = false;
  const pread = (buffer: Uint8Array, length: number, position: number) =>
    new Promise<number>((resolve, reject) => {
      read(own, buffer, 0, length, position, (err, n) => (err ? reject(err) : resolve(n)));
    });
  const release = () =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      closed = true;
      close(own, () => resolve());
    });
  if (growing) {
    const state: GrowthState = { available: growing.available, complete: false };
    const reader = growingReaderAt(growing.size, state, pread, release);
    return { reader, growth: { state, changed: () => reader.changed() } };
  }
  const size = fstatSync(own).size;
  return { reader: { size, readAt: (buffer, position) => pread(buffer, Math.min(buffer.length, Math.max(0, size - position)), position), close: release } };
}

port.on('message', (msg: LayerWorkerRequest) => {
  switch (msg.op) {
    case 'open': {
      let opened: ReturnType<typeof reopen>;
      try {
        opened = reopen(msg.fd, msg.growing);
      } catch (err) {
        reply({ op: 'failed', id: msg.id, code: errorCode(err), message: `reopen layer blob: ${messageOf(err)}` });
        return;
      }
      // the main thread may close its descriptor now
      reply({ op: 'opened', id: msg.id });
      const layer = openLayer(readAhead(opened.reader), {
        ...(msg.knownDigest ? { knownDigest: msg.knownDigest as Digest } : {}),
        ...(msg.aheadBytes ? { aheadBytes: msg.aheadBytes } : {}),
      });
      layer.catch(() => undefined);
      jobs.set(msg.id, { layer, abort: new AbortController(), applying: false, ...(opened.growth ? { growth: opened.growth } : {}) });
      return;
    }
    case 'grow': {
      const growth = jobs.get(msg.id)?.growth;
      if (!growth) return;
      growth.state.available = Math.max(growth.state.available, msg.available);
      if (msg.complete) growth.state.complete = true;
      if (msg.failed !== undefined) growth.state.failed = new Error(msg.failed);
      growth.changed();
      return;
    }
    case 'apply': {
      const job = jobs.get(msg.id);
      if (!job) {
        reply({ op: 'failed', id: msg.id, code: 'internal', message: 'layer worker: unknown job' });
        return;
      }
      job.applying = true;
      void (async () => {
        try {
          const result = await applyOpenedLayer(await job.layer, msg.dir, { ...msg.options, signal: job.abort.signal });
          reply({ op: 'done', id: msg.id, result });
        } catch (err) {
          reply({ op: 'failed', id: msg.id, code: errorCode(err), message: messageOf(err) });
        } finally {
          jobs.delete(msg.id);
          if (job.growth && !job.growth.state.complete) {
            job.growth.state.failed ??= new Error('layer extraction ended');
            job.growth.changed();
          }
        }
      })();
      return;
    }
    case 'cancel': {
      const job = jobs.get(msg.id);
      if (!job) return;
      job.abort.abort();
      // a read waiting for bytes that will no longer be announced stops (its file is closed)
      if (job.growth) {
        job.growth.state.failed ??= new Error('layer extraction canceled');
        job.growth.changed();
      }
      if (!job.applying) {
        jobs.delete(msg.id);
        void job.layer.then((l) => l.close(), () => undefined);
      }
      return;
    }
  }
});
