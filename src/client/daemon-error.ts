import { BerthError, type ErrorCode } from '../lib/index.ts';

/** An error the daemon answered with: its HTTP status and its own `{"message": ...}` text. */
export class DaemonError extends BerthError {
  readonly status: number;

  constructor(status: number, message: string) {
    super(codeForStatus(status), message);
    this.status = status;
    this.name = 'DaemonError';
  }
}

/** True when `err` came from the daemon (so the CLI prefixes "Error response from daemon: "). */
export function isDaemonError(err: unknown): err is DaemonError {
  return err instanceof DaemonError;
}

/** The error code for an Engine API status, the inverse of the server's translation. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 304:
      return 'not-modified';
    case 400:
      return 'invalid-argument';
    case 401:
    case 403:
      return 'permission-denied';
    case 404:
      return 'not-found';
    case 409:
      return 'conflict';
    case 412:
      return 'failed-precondition';
    case 501:
      return 'not-implemented';
    case 503:
      return 'unavailable';
    default:
      return 'internal';
  }
}

/** The message in an error body: `{"message": ...}` as JSON, else the text itself. */
export function messageFromBody(status: number, body: string): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON after all: fall through to the raw text
    }
  }
  return text || `request failed with status ${status}`;
}

/**
 * The one sentence shown when the daemon cannot be reached. Kept as a BerthError with code
 * `unavailable` so the CLI prints it as is and exits 1.
 */
export class DaemonUnreachableError extends BerthError {
  readonly url: string;

  constructor(url: string, cause?: unknown) {
    super('unavailable', `Cannot connect to the Berth daemon at ${url}. Is the berthd daemon running?`, { cause });
    this.url = url;
    this.name = 'DaemonUnreachableError';
  }
}
