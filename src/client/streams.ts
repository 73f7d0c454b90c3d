import type { Readable, Writable } from 'node:stream';
import type { JsonMessage } from '../api/types/index.ts';
import { BerthError } from '../lib/index.ts';

/**
 * Parses a stream of JSON values separated by newlines (docker also accepts values written back
 * to back, so a value split across chunks or two values on one line both work).
 */
export async function* jsonStream<T = JsonMessage>(stream: Readable): AsyncGenerator<T> {
  const decoder = new JsonSplitter();
  for await (const chunk of stream) {
    for (const v of decoder.push(typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8'))) yield v as T;
  }
  for (const v of decoder.end()) yield v as T;
}

/** Incremental splitter of concatenated JSON values; tracks strings and nesting depth. */
export class JsonSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private pos = 0;

  push(text: string): unknown[] {
    this.buf += text;
    const out: unknown[] = [];
    for (; this.pos < this.buf.length; this.pos++) {
      const c = this.buf[this.pos];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') {
        this.inString = true;
      } else if (c === '{' || c === '[') {
        if (this.depth === 0) this.start = this.pos;
        this.depth++;
      } else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0 && this.start >= 0) {
          const text = this.buf.slice(this.start, this.pos + 1);
          try {
            out.push(JSON.parse(text));
          } catch (err) {
            throw new BerthError('internal', 'decode progress stream: invalid JSON', { cause: err });
          }
          this.start = -1;
        }
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.pos = 0;
    } else if (this.start > 0) {
      this.buf = this.buf.slice(this.start);
      this.pos -= this.start;
      this.start = 0;
    }
    return out;
  }

  end(): unknown[] {
    if (this.depth !== 0) throw new BerthError('internal', 'decode progress stream: truncated JSON');
    return [];
  }
}

/** A frame of docker's multiplexed stream: 0 stdin, 1 stdout, 2 stderr, 3 system error. */
export interface StreamFrame {
  stream: 0 | 1 | 2 | 3;
  data: Buffer;
}

/**
 * Splits docker's multiplexed stdout/stderr stream: each frame is an 8-byte header
 * `[type, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes.
 */
export class StreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StreamFrame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: StreamFrame[] = [];
    let off = 0;
    while (this.pending.length - off >= 8) {
      const type = this.pending[off] ?? 0;
      const size = this.pending.readUInt32BE(off + 4);
      if (this.pending.length - off - 8 < size) break;
      if (type > 3) throw new BerthError('internal', `demux stream: unknown stream type ${type}`);
      frames.push({ stream: type as StreamFrame['stream'], data: this.pending.subarray(off + 8, off + 8 + size) });
      off += 8 + size;
    }
    this.pending = this.pending.subarray(off);
    return frames;
  }

  /** Bytes left over at the end (a truncated frame). */
  get remaining(): number {
    return this.pending.length;
  }
}

/** Encodes one frame (used by tests and by anything that needs to speak the format). */
export function encodeFrame(stream: 0 | 1 | 2 | 3, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * Copies a multiplexed stream to stdout and stderr until it ends. A system-error frame (3)
 * rejects with its text.
 */
export async function demuxTo(stream: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  const demuxer = new StreamDemuxer();
  for await (const chunk of stream) {
    for (const f of demuxer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      if (f.stream === 3) throw new BerthError('internal', f.data.toString('utf8').trim());
      const out = f.stream === 2 ? stderr : stdout;
      if (!out.write(f.data)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
}

/** Copies a raw (TTY) stream to `out` until it ends. */
export async function copyTo(stream: Readable, out: Writable): Promise<void> {
  for await (const chunk of stream) {
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
}
