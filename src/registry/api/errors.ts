import { BerthError, type ErrorCode } from '../../lib/index.ts';

/**
 * The OCI distribution error table (distribution-spec "Error Codes"), registered once: each code
 * with its HTTP status, the spec's message, and the Berth error category it maps to. The server
 * writes these in `{"errors": [...]}` bodies; the client reads them back into RegistryApiError.
 */
export const registryErrors = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry', category: 'not-found' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid', category: 'invalid-argument' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry', category: 'not-found' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content', category: 'invalid-argument' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry', category: 'failed-precondition' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid', category: 'invalid-argument' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry', category: 'not-found' },
  NAME_INVALID: { status: 400, message: 'invalid repository name', category: 'invalid-argument' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry', category: 'not-found' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length', category: 'invalid-argument' },
  UNAUTHORIZED: { status: 401, message: 'authentication required', category: 'permission-denied' },
  DENIED: { status: 403, message: 'requested access to the resource is denied', category: 'permission-denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported', category: 'not-implemented' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests', category: 'unavailable' },
  RANGE_INVALID: { status: 416, message: 'requested range not satisfiable', category: 'invalid-argument' },
  MANIFEST_TOO_LARGE: { status: 413, message: 'manifest too large', category: 'invalid-argument' },
  UNAVAILABLE: { status: 503, message: 'service unavailable', category: 'unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error', category: 'internal' },
} as const satisfies Record<string, { status: number; message: string; category: ErrorCode }>;

export type RegistryErrorCode = keyof typeof registryErrors;

export function isRegistryErrorCode(s: string): s is RegistryErrorCode {
  return Object.hasOwn(registryErrors, s);
}

/** One entry of an error body. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/**
 * An error from the registry protocol, carrying the OCI code and HTTP status. It is a BerthError,
 * so callers test it with isNotFound(err) and friends like any other error.
 */
export class RegistryApiError extends BerthError {
  readonly ociCode: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Every entry of the body (a response may carry several, one per unknown blob). */
  readonly entries: RegistryErrorEntry[];

  constructor(ociCode: RegistryErrorCode, message?: string, options: { detail?: unknown; status?: number; entries?: RegistryErrorEntry[]; cause?: unknown } = {}) {
    const def = registryErrors[ociCode];
    super(def.category, message ?? def.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryApiError';
    this.ociCode = ociCode;
    this.status = options.status ?? def.status;
    this.detail = options.detail;
    this.entries = options.entries ?? [{ code: ociCode, message: message ?? def.message, ...(options.detail === undefined ? {} : { detail: options.detail }) }];
  }

  /** The JSON body the server writes. */
  toBody(): { errors: RegistryErrorEntry[] } {
    return { errors: this.entries };
  }
}

/** Shorthand used by the server's handlers: `registryError('BLOB_UNKNOWN', 'blob "sha256:.." unknown', {digest})`. */
export function registryError(code: RegistryErrorCode, message?: string, detail?: unknown): RegistryApiError {
  return new RegistryApiError(code, message, detail === undefined ? {} : { detail });
}

/**
 * Reads an error response back into a RegistryApiError (client side). Unknown codes become
 * UNKNOWN as the spec asks; a body that is not JSON keeps the HTTP status.
 */
export function parseRegistryError(status: number, body: string, context?: string): RegistryApiError {
  let entries: RegistryErrorEntry[] = [];
  try {
    const parsed = JSON.parse(body) as { errors?: unknown; details?: unknown };
    if (Array.isArray(parsed.errors)) {
      entries = parsed.errors
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
        .map((e) => ({ code: String(e['code'] ?? 'UNKNOWN'), message: String(e['message'] ?? ''), ...(e['detail'] === undefined ? {} : { detail: e['detail'] }) }));
    }
  } catch {
    // not JSON: fall back to the status below
  }
  const first = entries[0];
  let code: RegistryErrorCode = first && isRegistryErrorCode(first.code) ? first.code : codeForStatus(status);
  if (first && !isRegistryErrorCode(first.code)) code = codeForStatus(status);
  const text = first?.message ? first.message.toLowerCase() : `${registryErrors[code].message} (HTTP ${status})`;
  const message = context ? `${context}: ${text}` : text;
  return new RegistryApiError(code, message, { status, detail: first?.detail, entries });
}

function codeForStatus(status: number): RegistryErrorCode {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'DENIED';
    case 404:
      return 'NAME_UNKNOWN';
    case 405:
      return 'UNSUPPORTED';
    case 413:
      return 'MANIFEST_TOO_LARGE';
    case 416:
      return 'RANGE_INVALID';
    case 429:
      return 'TOOMANYREQUESTS';
    case 502:
    case 503:
    case 504:
      return 'UNAVAILABLE';
    default:
      return 'UNKNOWN';
  }
}
