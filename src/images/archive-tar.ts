import { once } from 'node:events';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';

/** The fixed metadata of every entry Berth writes into image archives (deterministic output). */
export const archiveEpoch = new Date(0);

/** Adds a file entry whose bytes come from `source` (exactly `size` bytes) to `pack`. */
export async function packStream(pack: tar.Pack, name: string, size: number, source: AsyncIterable<Uint8Array>): Promise<void> {
  let settle!: (err?: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve());
  });
  const sink = pack.entry({ name, size, mode: 0o644, mtime: archiveEpoch, type: 'file' }, (err) => settle(err));
  for await (const chunk of source) {
    if (!sink.write(chunk)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
  }
  sink.end(undefined);
  await finished;
}

/** Adds an in-memory file entry. */
export function packBuffer(pack: tar.Pack, name: string, data: string | Uint8Array): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: buf.length, mode: 0o644, mtime: archiveEpoch, type: 'file' }, buf, (err) => (err ? reject(err) : resolve()));
  });
}

/** Adds a directory entry. */
export function packDir(pack: tar.Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name: name.endsWith('/') ? name : name + '/', mode: 0o755, mtime: archiveEpoch, type: 'directory' }, (err) => (err ? reject(err) : resolve())).end(undefined);
  });
}

/** Drains what is left of a tar entry. */
export async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of entry) {
    // discard
  }
}

export type { Readable };
