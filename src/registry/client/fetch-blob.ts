import { setTimeout as sleep } from 'node:timers/promises';
import type { ContentStore } from '../../content/index.ts';
import { openWriter, type Writer } from '../../content/index.ts';
import { errorCode, failedPrecondition, isAlreadyExists, isFailedPrecondition, messageOf, wrap, type Digest, type Logger } from '../../lib/index.ts';
import { RegistryApiError } from '../api/index.ts';
import type { RemoteRepository } from './remote-repository.ts';

export interface FetchBlobOptions {
  /** Called with bytes on disk so far (including bytes from an earlier, interrupted attempt). */
  onBytes?: (current: number) => void;
  /** Called once the bytes are all in, before the digest check. */
  onVerifying?: () => void;
  /** Called once the bytes are checked against the digest, before they are synced and committed. */
  onVerified?: () => void;
  /** Called with the ingest writer each time one is opened (a retry opens it again). */
  onWriter?: (writer: Writer) => void;
  /** Labels set on commit. */
  labels?: Record<string, string>;
  /** Attempts after a transient failure (network error, 5xx); each resumes with Range. */
  retries?: number;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Downloads one blob into the content store under the ingest ref `pull-<digest>`: bytes are
 * streamed into the ingest, a retry resumes from the bytes already on disk with HTTP Range, and
 * the store verifies size and digest before the blob becomes visible. Two concurrent fetches of
 * the same digest coalesce on the ref (the second finds the blob committed). A digest mismatch
 * discards the data and throws failed-precondition. Returns false when the blob was already there.
 */
export async function fetchBlob(store: ContentStore, repo: RemoteRepository, desc: { digest: Digest; size: number }, options: FetchBlobOptions = {}): Promise<boolean> {
  const ref = `pull-${desc.digest}`;
  const retries = options.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    // The writer gets no signal: after a cancel, the bytes already received are still written,
    // so the next pull resumes after them.
    options.signal?.throwIfAborted();
    const w = await openWriter(store, ref, { expected: { digest: desc.digest, size: desc.size } });
    if (!w) return false;
    options.onWriter?.(w);
    try {
      let offset = w.offset;
      if (offset > desc.size) {
        await w.truncate(0);
        offset = 0;
      }
      options.onBytes?.(offset);
      if (offset < desc.size) {
        const { body, partial } = await repo.openBlob(desc.digest, offset, options.signal);
        if (offset > 0 && !partial) {
          await w.truncate(0);
          offset = 0;
        }
        // Gather network chunks into larger writes, with one write in flight while the next
        // batch arrives; on an interruption what was gathered is written first, so the retry
        // resumes after every byte received.
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        let received = offset;
        let inflight: Promise<void> | undefined;
        /** The flush a full batch started while the body waits, paused. */
        let draining: Promise<void> | undefined;
        const settle = async () => {
          const p = inflight;
          inflight = undefined;
          if (p) await p;
        };
        const flush = async () => {
          await settle();
          if (pendingBytes === 0) return;
          const data = pending;
          pending = [];
          pendingBytes = 0;
          const p = w.writev(data).then(() => options.onBytes?.(w.offset));
          p.catch(() => undefined);
          inflight = p;
        };
        try {
          // chunk by chunk as they arrive ('data' in flowing mode): an async iterator's read()
          // would hand over everything buffered meanwhile concatenated, a copy of each byte
          await new Promise<void>((resolve, reject) => {
            const fail = (err: unknown) => {
              body.destroy();
              reject(err);
            };
            body.on('data', (c: Buffer) => {
              if (received + c.length > desc.size) return fail(failedPrecondition(`received more than the ${desc.size} bytes expected`));
              received += c.length;
              pending.push(c);
              pendingBytes += c.length;
              if (pendingBytes < 1 << 20) return;
              body.pause();
              draining = flush().then(() => void body.resume());
              draining.catch(fail);
            });
            body.once('end', resolve);
            body.once('error', reject);
            body.once('close', () => reject(Object.assign(new Error('blob download: connection closed before the end'), { code: 'UND_ERR_SOCKET' })));
          });
        } finally {
          // 'end' can come while a batch is being flushed: that flush finishes (or fails) first,
          // so two writes never run at once and none is lost
          if (draining) await draining;
          await flush();
          await settle();
        }
      }
      options.onVerifying?.();
      await w.commit(desc.size, desc.digest, { ...(options.labels ? { labels: options.labels } : {}), ...(options.onVerified ? { onVerified: options.onVerified } : {}) });
      return true;
    } catch (err) {
      await w.close().catch(() => undefined);
      if (isAlreadyExists(err)) return false;
      if (isFailedPrecondition(err)) {
        await store.abort(ref).catch(() => undefined);
        throw wrap(err, `blob ${desc.digest}: digest or size mismatch, data discarded`);
      }
      if (attempt < retries && isTransient(err) && !options.signal?.aborted) {
        options.logger?.warn('blob download interrupted, resuming', { digest: desc.digest, attempt: attempt + 1, error: messageOf(err) });
        await sleep(Math.min(200 * 2 ** attempt, 3000));
        continue;
      }
      throw wrap(err, `fetch blob ${desc.digest}`);
    }
  }
}

function isTransient(err: unknown): boolean {
  if (err instanceof RegistryApiError) return err.status >= 500 || err.ociCode === 'UNAVAILABLE' || err.ociCode === 'TOOMANYREQUESTS';
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (/^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR_SOCKET|UND_ERR_.*TIMEOUT|UND_ERR_CLOSED)$/.test(code)) return true;
  return errorCode(err) === 'unavailable' || /terminated|socket|other side closed|aborted/i.test(messageOf(err));
}
