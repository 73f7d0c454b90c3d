import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads a json-file log as the container monitor writes it: one JSON object per line,
 * `{"log":"text\n","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"}`, the current file
 * at `path` and rotated ones at `path.1` (newest) … `path.N` (oldest).
 */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as written. */
  time: string;
  line: Buffer;
}

export interface ReadLogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds (fractional); entries strictly before are skipped. 0 = no bound. */
  since?: number;
  /** Unix seconds; entries after are skipped and following stops once passed. 0 = no bound. */
  until?: number;
  /** Last N entries only; negative = all. */
  tail?: number;
  follow?: boolean;
  /** Following ends once this resolves (container stopped) and the file is drained. */
  stopped?: Promise<unknown>;
  signal?: AbortSignal;
  /** How many rotated files to look at. */
  maxFiles?: number;
  pollMs?: number;
}

/** Parses one log line; undefined for a torn or foreign line. */
export function parseLogLine(text: string): LogEntry | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof v.log !== 'string' || typeof v.time !== 'string') return undefined;
    const stream = v.stream === 'stderr' ? 'stderr' : 'stdout';
    return { stream, time: v.time, line: Buffer.from(v.log, 'utf8') };
  } catch {
    return undefined;
  }
}

/** Unix seconds (fractional) of an RFC 3339 nano time; precise enough for since/until. */
export function logTimeSeconds(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return Date.parse(time) / 1000;
  const whole = Date.parse(`${m[1]}${m[3]}`) / 1000;
  const frac = m[2] ? Number(`0.${m[2]}`) : 0;
  return whole + frac;
}

async function readWhole(path: string): Promise<Buffer | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

function* linesOf(buf: Buffer): Generator<string> {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) return;
    yield buf.subarray(start, nl).toString('utf8');
    start = nl + 1;
  }
}

/** Yields the log's entries (filtered), then, when following, new entries until stopped. */
export async function* readLogs(path: string, options: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const wantOut = options.stdout ?? true;
  const wantErr = options.stderr ?? true;
  const since = options.since ?? 0;
  const until = options.until ?? 0;
  const tail = options.tail ?? -1;
  const maxFiles = options.maxFiles ?? 10;
  const pollMs = options.pollMs ?? 100;
  const accept = (e: LogEntry) => {
    if (e.stream === 'stdout' ? !wantOut : !wantErr) return false;
    const t = logTimeSeconds(e.time);
    if (since > 0 && t < since) return false;
    if (until > 0 && t > until) return false;
    return true;
  };

  // Open the current file first so that a rotation racing with us is noticed by inode.
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
  } catch {
    fh = undefined;
  }
  try {
    const backlog: LogEntry[] = [];
    if (tail !== 0) {
      for (let i = maxFiles; i >= 1; i--) {
        const buf = await readWhole(`${path}.${i}`);
        if (!buf) continue;
        for (const text of linesOf(buf)) {
          const e = parseLogLine(text);
          if (e && accept(e)) push(backlog, e, tail);
        }
      }
    }
    let offset = 0;
    let partial = Buffer.alloc(0);
    const drain = async function* (handle: FileHandle, emit: boolean): AsyncGenerator<LogEntry> {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
        if (bytesRead === 0) return;
        offset += bytesRead;
        let data = Buffer.concat([partial, chunk.subarray(0, bytesRead)]);
        const last = data.lastIndexOf(10);
        if (last < 0) {
          partial = data;
          continue;
        }
        partial = Buffer.from(data.subarray(last + 1));
        data = data.subarray(0, last + 1);
        for (const text of linesOf(data)) {
          const e = parseLogLine(text);
          if (!e || !accept(e)) continue;
          if (emit) yield e;
          else push(backlog, e, tail);
        }
      }
    };
    if (fh) for await (const _ of drain(fh, false)) void _;
    for (const e of backlog) yield e;
    if (!options.follow) return;

    let stopped = false;
    options.stopped?.then(
      () => (stopped = true),
      () => (stopped = true),
    );
    for (;;) {
      if (options.signal?.aborted) return;
      if (fh) yield* drain(fh, true);
      if (until > 0 && Date.now() / 1000 > until) return;
      // A rotation renames the file away: finish the old one, then continue at the new path.
      const cur = await stat(path).catch(() => undefined);
      const mine = fh ? await fh.stat().catch(() => undefined) : undefined;
      if (cur && (!mine || cur.ino !== mine.ino || cur.size < offset)) {
        if (fh) {
          if (mine && cur.ino === mine.ino) {
            offset = 0; // truncated in place
          } else {
            yield* drain(fh, true);
            await fh.close();
            fh = undefined;
          }
        }
        if (!fh) {
          fh = await open(path, 'r').catch(() => undefined);
          offset = 0;
          partial = Buffer.alloc(0);
        }
        continue;
      }
      if (stopped) {
        if (fh) yield* drain(fh, true);
        return;
      }
      await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await fh?.close();
  }
}

function push(list: LogEntry[], e: LogEntry, tail: number): void {
  list.push(e);
  if (tail >= 0 && list.length > tail) list.shift();
}
