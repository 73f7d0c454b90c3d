// The layer worker thread: decompresses, hashes and extracts layers sent by layer-worker.ts, so
// none of that runs on the daemon's event loop. Messages are LayerWorkerRequest; every job ends
// with one 'done' or 'failed' reply, except a job canceled before it was applied.
import { close, fstatSync, openSync, read } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { errorCode, messageOf, type Digest } from '../lib/index.ts';
import { applyOpenedLayer, openLayer, type OpenedLayer } from './apply-layer.ts';
import { readAhead, type BlobReaderAt } from './decompress.ts';
import type { LayerWorkerReply, LayerWorkerRequest } from './layer-worker.ts';

interface Job {
  layer: Promise<OpenedLayer>;
  abort: AbortController;
  applying: boolean;
}

const jobs = new Map<number, Job>();
const port = parentPort;
if (!port) throw new Error('layer-worker-main runs as a worker thread');

function reply(message: LayerWorkerReply): void {
  port!.postMessage(message);
}

/** A reader over this thread's own descriptor for the file the main thread has open as `fd`. */
function reopen(fd: number): BlobReaderAt {
  const own = openSync(`/proc/self/fd/${fd}`, 'r');
  const size = fstatSync(own).size;
  let closed = false;
  return {
    size,
    readAt: (buffer, position) =>
      new Promise((resolve, reject) => {
        read(own, buffer, 0, Math.min(buffer.length, Math.max(0, size - position)), position, (err, n) => (err ? reject(err) : resolve(n)));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        close(own, () => resolve());
      }),
  };
}

port.on('message', (msg: LayerWorkerRequest) => {
  switch (msg.op) {
    case 'open': {
      let reader: BlobReaderAt;
      try {
        reader = reopen(msg.fd);
      } catch (err) {
        reply({ op: 'failed', id: msg.id, code: errorCode(err), message: `reopen layer blob: ${messageOf(err)}` });
        return;
      }
      // the main thread may close its descriptor now
      reply({ op: 'opened', id: msg.id });
      const layer = openLayer(readAhead(reader), {
        ...(msg.knownDigest ? { knownDigest: msg.knownDigest as Digest } : {}),
        ...(msg.aheadBytes ? { aheadBytes: msg.aheadBytes } : {}),
      });
      layer.catch(() => undefined);
      jobs.set(msg.id, { layer, abort: new AbortController(), applying: false });
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
        }
      })();
      return;
    }
    case 'cancel': {
      const job = jobs.get(msg.id);
      if (!job) return;
      job.abort.abort();
      if (!job.applying) {
        jobs.delete(msg.id);
        void job.layer.then((l) => l.close(), () => undefined);
      }
      return;
    }
  }
});
