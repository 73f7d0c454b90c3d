import type { Writable } from 'node:stream';
import { messageOf } from '../../lib/index.ts';

/**
 * Docker's multiplexed stream (attach, logs and exec without a TTY): each frame is an 8-byte
 * header `[stream, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes of payload.
 * Stream 0 is stdin, 1 stdout, 2 stderr, 3 a system error (the attach ended badly).
 */
export const StdStream = { stdin: 0, stdout: 1, stderr: 2, systemErr: 3 } as const;
export type StdStreamId = (typeof StdStream)[keyof typeof StdStream];

/** Frames `payload` for `stream`. A payload larger than 4 GiB is the caller's bug. */
export function muxFrame(stream: StdStreamId, payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Writes framed chunks to `out`; returns false like Writable.write when the caller should wait for 'drain'. */
export class MuxWriter {
  constructor(private readonly out: Writable) {}
  write(stream: StdStreamId, payload: Uint8Array | string): boolean {
    if (payload.length === 0) return true;
    return this.out.write(muxFrame(stream, payload));
  }
}

export interface MuxFrame {
  stream: number;
  payload: Buffer;
}

/**
 * Decodes a multiplexed byte stream incrementally: push() chunks as they arrive, each complete
 * frame is returned in order; a partial frame waits for the next chunk.
 */
export class MuxDecoder {
  private pending: Buffer = Buffer.alloc(0);
  push(chunk: Uint8Array): MuxFrame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const frames: MuxFrame[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      frames.push({ stream: this.pending[0]!, payload: this.pending.subarray(8, 8 + size) });
      this.pending = this.pending.subarray(8 + size);
    }
    return frames;
  }
  /** Bytes of an incomplete frame still waiting. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Splits a whole multiplexed buffer into stdout and stderr (for tests and one-shot reads). */
export function demux(data: Uint8Array): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (const f of new MuxDecoder().push(data)) (f.stream === StdStream.stderr ? err : out).push(f.payload);
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/**
 * Newline-delimited JSON (pull, push, load, import, build progress, events): one object per line.
 * An error after the headers went out cannot change the status, so it is sent as a final
 * `{"errorDetail": {"message": ...}, "error": ...}` line, which docker clients print and exit 1 on.
 */
export class NdjsonWriter {
  constructor(private readonly out: Writable) {}
  write(message: unknown): boolean {
    if (this.out.destroyed || this.out.writableEnded) return false;
    return this.out.write(JSON.stringify(message) + '\n');
  }
  error(err: unknown): void {
    const message = messageOf(err);
    this.write({ errorDetail: { message }, error: message });
  }
  end(): void {
    if (!this.out.writableEnded) this.out.end();
  }
}
