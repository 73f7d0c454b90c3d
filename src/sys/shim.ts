import { closeSync } from 'node:fs';
import { createConnection, Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { messageOf, unavailable } from '../lib/index.ts';
import { nativeSys } from './native.ts';

/**
 * The runtime's side of berth-shim's sync protocol (native/shim/PROTOCOL.md): the shim is
 * spawned with the plan path and a stream socket on fd 3 carrying text lines.
 */
export class ShimChannel {
  private buffer = '';
  private lines: string[] = [];
  private waiters: ((line: string | undefined) => void)[] = [];
  private ended = false;

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        this.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 1);
      }
    });
    const end = () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  private push(line: string): void {
    const w = this.waiters.shift();
    if (w) w(line);
    else this.lines.push(line);
  }

  /** The next line from the shim; undefined once the shim closed the socket. */
  next(): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export type ShimStdio = [number | 'ignore', number | 'ignore', number | 'ignore'];

interface SealedShim {
  path: string;
  fd: number;
}
let sealed: SealedShim | undefined;

/** A sealed memfd copy of the shim, made once per path (the daemon keeps it for its lifetime). */
function sealedShim(shimPath: string): number {
  if (sealed?.path === shimPath) return sealed.fd;
  const fd = nativeSys().sealedCopy(shimPath);
  if (sealed) closeSync(sealed.fd);
  sealed = { path: shimPath, fd };
  return fd;
}

/**
 * Monitors this process spawned: each stays its child until it exits (berth-shim does not fork
 * away from its parent), so each is reaped here. On the main thread SIGCHLD says when to look;
 * a worker thread, which receives no signals, polls with a back-off instead.
 */
const children = new Set<number>();
let sigchld = false;

function adopt(pid: number): void {
  children.add(pid);
  if (!isMainThread) return void reapSoon(pid);
  if (sigchld) return;
  sigchld = true;
  process.on('SIGCHLD', reapChildren);
  reapChildren(); // a child that exited before the listener existed
}

/** Reaps the child `pid` if it has exited; true once it is gone (or was never ours). */
function reaped(pid: number): boolean {
  try {
    return nativeSys().reap(pid) !== -1;
  } catch {
    return true; // not our child (any more)
  }
}

function reapChildren(): void {
  for (const pid of children) if (reaped(pid)) children.delete(pid);
}

function reapSoon(pid: number, delayMs = 1): void {
  if (reaped(pid)) {
    children.delete(pid);
    return;
  }
  setTimeout(() => reapSoon(pid, Math.min(delayMs * 2, 1000)), delayMs).unref();
}

/**
 * Spawns berth-shim for a plan; resolves with the sync channel once the process is running.
 * `extraFds` (fds of this process) are passed on at fds 4, 5... (the plan's `preserve-fds`).
 * posix_spawn through the addon rather than child_process: no fork of the daemon's heap, and the
 * shim runs from a sealed memfd copy, so it need not copy and re-execute itself.
 */
export function spawnShim(
  shimPath: string,
  planPath: string,
  stdio: ShimStdio = ['ignore', 'ignore', 'ignore'],
  extraFds: readonly number[] = [],
): Promise<ShimChannel> {
  try {
    const fds = stdio.map((x) => (x === 'ignore' ? -1 : x));
    const { pid, sync } = nativeSys().spawnWithSync(sealedShim(shimPath), shimPath, [planPath], fds, [...extraFds]);
    adopt(pid);
    return Promise.resolve(new ShimChannel(new Socket({ fd: sync, readable: true, writable: true })));
  } catch (err) {
    return Promise.reject(unavailable(`spawn ${JSON.stringify(shimPath)}: ${messageOf(err)}`, err));
  }
}

/**
 * Sends one line to a monitor's control socket and resolves with the first reply line.
 * Used for start, kill, resize and (without a deadline) wait.
 */
export function controlRequest(socketPath: string, line: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    let done = false;
    const finish = (err: Error | undefined, value?: string) => {
      if (done) return;
      done = true;
      options.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(value ?? '');
    };
    const onAbort = () => finish(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
    options.signal?.addEventListener('abort', onAbort);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${line}\n`));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const i = buf.indexOf('\n');
      if (i >= 0) finish(undefined, buf.slice(0, i));
    });
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(unavailable(`monitor at ${JSON.stringify(socketPath)} closed the connection`)));
  });
}

/** Connects to a monitor's attach socket (docker stdcopy frames out, raw stdin in). */
export function connectAttach(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}
