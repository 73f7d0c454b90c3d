import type { Duplex } from 'node:stream';
import { copyTo, demuxTo, type Hijacked } from '../../client/index.ts';
import type { CliContext } from '../context.ts';

export interface PumpOptions {
  tty: boolean;
  /** Forward local stdin into the connection (and close its write side at EOF). */
  stdin: boolean;
  /** Resize callback for TTY sessions (container or exec resize endpoint). */
  resize?: (height: number, width: number) => Promise<void>;
  /** The detach sequence (`ctrl-p,ctrl-q`), watched for in TTY input. */
  detachKeys?: string;
}

/** Docker's detach-keys syntax: `ctrl-p,ctrl-q`, `a`, `ctrl-@`, `ctrl-[` → bytes. */
export function parseDetachKeys(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const k = part.trim().toLowerCase();
    if (k.length === 1) out.push(k.charCodeAt(0));
    else if (k.startsWith('ctrl-') && k.length === 6) {
      const c = k[5] as string;
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if (c === '@') out.push(0);
      else if (c === '[') out.push(27);
      else if (c === '\\') out.push(28);
      else if (c === ']') out.push(29);
      else if (c === '^') out.push(30);
      else if (c === '_') out.push(31);
      else throw new Error(`invalid detach keys: unknown character: '${part}'`);
    } else throw new Error(`invalid detach keys: unknown character: '${part}'`);
  }
  return out;
}

/**
 * Pumps a hijacked connection: output to stdout/stderr (demuxed unless TTY), local stdin in
 * (raw mode when it is a terminal), terminal resizes forwarded. Resolves when the output ends;
 * restores the terminal and stops reading stdin.
 */
export class StreamPump {
  private readonly socket: Duplex;
  private restoreTerminal: (() => void) | undefined;
  private cleanup: (() => void)[] = [];
  private matched = 0;
  /** True once the user typed the detach sequence. */
  detached = false;

  constructor(
    private readonly ctx: CliContext,
    hijacked: Hijacked,
    private readonly options: PumpOptions,
  ) {
    this.socket = hijacked.socket;
  }

  /** Starts forwarding stdin (call before the container starts, after attach). */
  startInput(): void {
    if (!this.options.stdin) return;
    const stdin = this.ctx.stdin;
    if (this.options.tty && stdin.isTTY && stdin.setRawMode) {
      stdin.setRawMode(true);
      this.restoreTerminal = () => stdin.setRawMode?.(false);
    }
    const keys = this.options.tty && this.options.detachKeys ? parseDetachKeys(this.options.detachKeys) : [];
    const onData = (d: Buffer) => {
      if (keys.length) {
        for (const b of d) {
          if (b === keys[this.matched]) {
            this.matched++;
            if (this.matched === keys.length) {
              this.detached = true;
              this.close();
              return;
            }
          } else this.matched = b === keys[0] ? 1 : 0;
        }
      }
      if (!this.socket.destroyed) this.socket.write(d);
    };
    const onEnd = () => {
      // Half-close: the daemon closes the container's stdin, output keeps flowing.
      if (!this.socket.destroyed) this.socket.end();
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
    this.cleanup.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    });
  }

  /** Sends the current terminal size now and on every SIGWINCH. */
  startResize(): void {
    const resize = this.options.resize;
    const out = this.ctx.stdout;
    if (!this.options.tty || !resize || !out.isTTY) return;
    const send = () => {
      if (out.rows && out.columns) resize(out.rows, out.columns).catch(() => {});
    };
    send();
    out.on('resize', send);
    this.cleanup.push(() => out.off('resize', send));
  }

  /** Resolves when the daemon ends the output stream. */
  async output(): Promise<void> {
    try {
      if (this.options.tty) await copyTo(this.socket, this.ctx.stdout);
      else await demuxTo(this.socket, this.ctx.stdout, this.ctx.stderr);
    } catch (err) {
      // A reset at the end of a session, or our own close on detach, is a normal end.
      const code = (err as NodeJS.ErrnoException).code;
      if (!this.detached && code !== 'ECONNRESET') throw err;
    } finally {
      this.close();
    }
  }

  close(): void {
    this.restoreTerminal?.();
    this.restoreTerminal = undefined;
    for (const c of this.cleanup) c();
    this.cleanup = [];
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
