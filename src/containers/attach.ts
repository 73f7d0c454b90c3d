import type { Duplex, Readable } from 'node:stream';
import { invalidArgument } from '../lib/index.ts';
import type { TaskStreams } from './ports.ts';

export const defaultDetachKeys = 'ctrl-p,ctrl-q';

/** Docker's detach key spec ("ctrl-p,ctrl-q", "ctrl-a,x") as bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(k);
    if (!m) throw invalidArgument(`Unknown character: '${k}'`);
    const ch = m[1]!.toLowerCase();
    if (ch >= 'a' && ch <= 'z') out.push(ch.charCodeAt(0) - 96);
    else if (ch === '@') out.push(0);
    else if (ch === '[') out.push(27);
    else if (ch === '\\') out.push(28);
    else if (ch === ']') out.push(29);
    else if (ch === '^') out.push(30);
    else if (ch === '_') out.push(31);
    else throw invalidArgument(`Unknown character: '${k}'`);
  }
  return Buffer.from(out);
}

/**
 * Scans stdin for the detach sequence: push() returns the bytes to forward and whether the
 * sequence was completed. A partial match is held back until it completes or fails.
 */
export class DetachScanner {
  #matched = 0;
  constructor(private readonly keys: Buffer) {}

  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.#matched > 0) {
        out.push(...this.keys.subarray(0, this.#matched));
        this.#matched = 0;
      }
      if (byte === this.keys[0]) this.#matched = 1;
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export interface RelayOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
  /** Close the task's stdin when the client closes its side (docker's StdinOnce / exec stdin). */
  closeStdinOnEnd: boolean;
  /** When output ends, wait for this (the exit being recorded) before ending the connection. */
  exited?: Promise<unknown>;
}

function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * Relays a hijacked client connection and a task's stdio: output raw (TTY) or as docker's
 * multiplexed frames, input through the detach-key scanner. Resolves with how it ended:
 * 'exited' (the output ended), 'detached' (keys), 'closed' (the client went away).
 */
export function relay(conn: Duplex, streams: TaskStreams, o: RelayOptions): Promise<'exited' | 'detached' | 'closed'> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (how: 'exited' | 'detached' | 'closed') => {
      if (done) return;
      done = true;
      conn.off('data', onInput);
      streams.close();
      if (how !== 'closed' && !conn.destroyed) conn.end();
      resolve(how);
    };
    const pump = (src: Readable | undefined, id: 1 | 2, want: boolean) => {
      if (!src) return Promise.resolve();
      return new Promise<void>((res) => {
        src.on('data', (b: Buffer) => {
          if (!want || done || conn.destroyed) return;
          const ok = conn.write(o.tty ? b : frame(id, b));
          if (!ok) {
            src.pause();
            conn.once('drain', () => src.resume());
          }
        });
        src.once('end', () => res());
        src.once('close', () => res());
        src.once('error', () => res());
      });
    };
    void Promise.all([pump(streams.stdout, 1, o.stdout), pump(streams.stderr, 2, o.stderr)])
      .then(() => (o.exited ? Promise.race([o.exited, new Promise((r) => setTimeout(r, 5000).unref())]) : undefined))
      .then(() => finish('exited'));
    const scanner = new DetachScanner(parseDetachKeys(o.detachKeys || defaultDetachKeys));
    const onInput = (chunk: Buffer) => {
      const { forward, detach } = scanner.push(chunk);
      if (forward.length && o.stdin && streams.stdin && !streams.stdin.destroyed) streams.stdin.write(forward);
      if (detach) finish('detached');
    };
    if (o.stdin) {
      conn.on('data', onInput);
      conn.once('end', () => {
        if (o.closeStdinOnEnd) streams.stdin?.end();
      });
    } else {
      conn.resume();
    }
    conn.once('close', () => finish('closed'));
    conn.once('error', () => finish('closed'));
  });
}
