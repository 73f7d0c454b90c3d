/**
 * Docker's JSON progress messages (one JSON object per line in /images/create and
 * /images/{name}/push responses), as the docker CLI renders them.
 */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: Record<string, unknown>;
  errorDetail?: { message: string };
  error?: string;
}

export type ProgressCallback = (message: ProgressMessage) => void;

/** The 12-character short id docker shows for a layer digest. */
export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/** Docker's textual bar, e.g. `[=====>      ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number | undefined): string {
  const human = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}kB` : `${n}B`);
  if (!total) return human(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  return `[${bar}] ${human(current)}/${human(total)}`;
}

/** Emits byte progress at most every `intervalMs` (and always the final count). */
export class ProgressThrottle {
  private last = 0;
  constructor(
    private readonly emit: (current: number) => void,
    private readonly intervalMs = 100,
  ) {}

  update(current: number, done = false): void {
    const now = Date.now();
    if (done || now - this.last >= this.intervalMs) {
      this.last = now;
      this.emit(current);
    }
  }
}

/**
 * Adapts a callback-producing operation to an async iterable of messages, for callers that
 * forward the stream (the daemon writes each as a JSON line). The operation's result or error
 * comes out of `result`.
 */
export function progressStream<T>(run: (onProgress: ProgressCallback) => Promise<T>): { messages: AsyncIterable<ProgressMessage>; result: Promise<T> } {
  const queue: ProgressMessage[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const result = run((m) => {
    queue.push(m);
    wake?.();
  }).finally(() => {
    finished = true;
    wake?.();
  });
  result.catch(() => undefined);
  const messages = (async function* () {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) return;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  })();
  return { messages, result };
}
