/**
 * One error family for all of Berth. A BerthError carries a code from a closed set; callers test
 * the code (isNotFound(err)), never the message. Each transport edge translates codes once:
 * HTTP status in the API, the OCI error table in the registry, exit status in the CLI.
 */
export type ErrorCode =
  | 'not-found'
  | 'already-exists'
  | 'invalid-argument'
  | 'conflict'
  | 'failed-precondition'
  | 'not-modified'
  | 'permission-denied'
  | 'unavailable'
  | 'not-implemented'
  | 'canceled'
  | 'internal';

export class BerthError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'BerthError';
  }
}

/** Builds a new error of `code`; shorthand used everywhere an error is raised. */
export function berthError(code: ErrorCode, message: string, cause?: unknown): BerthError {
  return cause === undefined ? new BerthError(code, message) : new BerthError(code, message, { cause });
}

export const notFound = (m: string, cause?: unknown) => berthError('not-found', m, cause);
export const alreadyExists = (m: string, cause?: unknown) => berthError('already-exists', m, cause);
export const invalidArgument = (m: string, cause?: unknown) => berthError('invalid-argument', m, cause);
export const conflict = (m: string, cause?: unknown) => berthError('conflict', m, cause);
export const failedPrecondition = (m: string, cause?: unknown) => berthError('failed-precondition', m, cause);
export const unavailable = (m: string, cause?: unknown) => berthError('unavailable', m, cause);
export const notImplemented = (m: string, cause?: unknown) => berthError('not-implemented', m, cause);
export const internal = (m: string, cause?: unknown) => berthError('internal', m, cause);

/** The code of any thrown value: a BerthError's own code; ENOENT and friends mapped; else internal. */
export function errorCode(err: unknown): ErrorCode {
  if (err instanceof BerthError) return err.code;
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  switch (errno) {
    case 'ENOENT':
      return 'not-found';
    case 'EEXIST':
      return 'already-exists';
    case 'EINVAL':
      return 'invalid-argument';
    case 'EACCES':
    case 'EPERM':
      return 'permission-denied';
    case 'EBUSY':
      return 'conflict';
    case 'ABORT_ERR':
      return 'canceled';
    default:
      return 'internal';
  }
}

export const isNotFound = (err: unknown) => errorCode(err) === 'not-found';
export const isAlreadyExists = (err: unknown) => errorCode(err) === 'already-exists';
export const isInvalidArgument = (err: unknown) => errorCode(err) === 'invalid-argument';
export const isConflict = (err: unknown) => errorCode(err) === 'conflict';
export const isFailedPrecondition = (err: unknown) => errorCode(err) === 'failed-precondition';

/**
 * Adds context in front of an error's message while keeping its code:
 * wrap(err, 'pull "busybox"') → `pull "busybox": <original message>`.
 */
export function wrap(err: unknown, context: string): BerthError {
  const message = err instanceof Error ? err.message : String(err);
  return new BerthError(errorCode(err), `${context}: ${message}`, { cause: err });
}

/** The message of any thrown value, for output at an edge. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
