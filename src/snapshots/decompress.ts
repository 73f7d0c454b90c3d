import { Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { Decompress } from 'fzstd';
import { Digester, type Digest } from '../lib/index.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

/** The compression of a layer from its first bytes (gzip 1f 8b, zstd 28 b5 2f fd, else plain tar). */
export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export interface DecompressedLayer {
  compression: Compression;
  /** The uncompressed tar bytes. */
  stream: Readable;
  /** Digest and size of the bytes read from the source (valid once `stream` has ended). */
  compressed(): { digest: Digest; size: number };
}

/**
 * Wraps a layer blob stream: sniffs the compression from its magic bytes and returns the
 * uncompressed stream, while digesting the compressed bytes on the way.
 */
export async function decompressLayer(source: AsyncIterable<Uint8Array>): Promise<DecompressedLayer> {
  const it = source[Symbol.asyncIterator]();
  const headChunks: Uint8Array[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    headChunks.push(r.value);
    headLen += r.value.length;
  }
  const head = Buffer.concat(headChunks);
  const compression = detectCompression(head);
  const digester = new Digester();
  let digest: Digest | undefined;
  async function* raw(): AsyncGenerator<Uint8Array> {
    if (head.length) {
      digester.update(head);
      yield head;
    }
    if (!done) {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        digester.update(r.value);
        yield r.value;
      }
    }
    digest = digester.digest();
  }
  const compressed = () => ({ digest: digest ?? digester.digest(), size: digester.size });
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024, highWaterMark: 4 * 1024 * 1024 } as ZlibOptions);
    const input = Readable.from(raw(), { objectMode: false });
    input.on('error', (err) => gunzip.destroy(err));
    input.pipe(gunzip);
    return { compression, stream: gunzip, compressed };
  }
  if (compression === 'zstd') {
    async function* unzstd(): AsyncGenerator<Uint8Array> {
      const out: Uint8Array[] = [];
      const d = new Decompress((chunk) => {
        out.push(chunk);
      });
      for await (const chunk of raw()) {
        d.push(chunk);
        while (out.length) yield out.shift()!;
      }
      d.push(new Uint8Array(0), true);
      while (out.length) yield out.shift()!;
    }
    return { compression, stream: Readable.from(unzstd(), { objectMode: false }), compressed };
  }
  return { compression, stream: Readable.from(raw(), { objectMode: false }), compressed };
}
