import { errorCode, messageOf, type ErrorCode } from '../../lib/index.ts';

/**
 * The one translation of BerthError codes to HTTP statuses, applied at the API edge only.
 * `not-modified` becomes 304 (start of a running container, stop of a stopped one).
 */
const statusByCode: Record<ErrorCode, number> = {
  'not-found': 404,
  'invalid-argument': 400,
  conflict: 409,
  'already-exists': 409,
  'failed-precondition': 409,
  'not-modified': 304,
  'permission-denied': 403,
  unavailable: 503,
  'not-implemented': 501,
  canceled: 499,
  internal: 500,
};

export function httpStatusOf(err: unknown): number {
  return statusByCode[errorCode(err)];
}

/** The `{"message": ...}` body docker clients print. Never a stack trace. */
export function errorBody(err: unknown): { message: string } {
  return { message: messageOf(err) };
}
