/**
 * The OCI distribution URL space, as data: the server matches request paths with parseRoute,
 * the client builds them with the path helpers below. Names contain slashes, so every pattern is
 * anchored at its end.
 *
 *   GET            /v2/                                base
 *   GET            /v2/_catalog?n=&last=               catalog
 *   GET            /v2/<name>/tags/list?n=&last=       tags
 *   GET HEAD PUT DELETE /v2/<name>/manifests/<ref>     manifest
 *   GET HEAD DELETE /v2/<name>/blobs/<digest>          blob
 *   POST           /v2/<name>/blobs/uploads/           upload-start (?digest= | ?mount=&from=)
 *   GET PATCH PUT DELETE /v2/<name>/blobs/uploads/<id> upload
 *   GET            /v2/<name>/referrers/<digest>       referrers (?artifactType=)
 *   GET            /v1/search?q=&n=&page=              search (docker's v1 index search)
 */
export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload-start'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'search' };

const patterns: Array<[RegExp, (m: RegExpMatchArray) => Route]> = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog\/?$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/tags\/list\/?$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'upload-start', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
  [/^\/v1\/search\/?$/, () => ({ kind: 'search' })],
];

/** Matches a decoded URL path against the distribution routes; undefined when none matches. */
export function parseRoute(pathname: string): Route | undefined {
  for (const [re, build] of patterns) {
    const m = pathname.match(re);
    if (m) return build(m);
  }
  return undefined;
}

export const basePath = () => '/v2/';
export const catalogPath = () => '/v2/_catalog';
export const tagsPath = (name: string) => `/v2/${name}/tags/list`;
export const manifestPath = (name: string, reference: string) => `/v2/${name}/manifests/${reference}`;
export const blobPath = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
export const uploadsPath = (name: string) => `/v2/${name}/blobs/uploads/`;
export const uploadPath = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`;
export const referrersPath = (name: string, digest: string) => `/v2/${name}/referrers/${digest}`;
export const searchPath = (query: string, n: number) => `/v1/search?${new URLSearchParams({ q: query, n: String(n) }).toString()}`;

/** One result of docker's v1 search API. */
export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

/** The body of `GET /v1/search`. */
export interface SearchResponse {
  num_pages: number;
  num_results: number;
  page: number;
  page_size: number;
  query: string;
  results: SearchResult[];
}

/** Response and request headers of the protocol. */
export const headers = {
  apiVersion: 'docker-distribution-api-version',
  contentDigest: 'docker-content-digest',
  uploadUuid: 'docker-upload-uuid',
  uploadSessionId: 'blob-upload-session-id',
  subject: 'oci-subject',
  filtersApplied: 'oci-filters-applied',
  chunkMinLength: 'oci-chunk-min-length',
} as const;

/** The value of Docker-Distribution-API-Version. */
export const apiVersion = 'registry/2.0';

/** Formats an RFC 5988 next link: `<url>; rel="next"`. */
export function formatNextLink(url: string): string {
  return `<${url}>; rel="next"`;
}

/** The URL of the rel="next" entry of a Link header, or undefined. */
export function parseNextLink(link: string | undefined | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = part.match(/<([^>]*)>\s*;(.*)$/);
    if (m && /rel="?next"?/.test(m[2]!)) return m[1]!;
  }
  return undefined;
}

/** Parses `start-end` (inclusive, as in Content-Range of a chunk); undefined when malformed. */
export function parseChunkRange(s: string | undefined): { start: number; end: number } | undefined {
  if (!s) return undefined;
  const m = s.trim().match(/^(?:bytes[= ])?([0-9]+)-([0-9]+)(?:\/(?:[0-9]+|\*))?$/);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : undefined;
}

/**
 * Parses an HTTP Range request header for one range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) against a
 * size; returns inclusive bounds, 'unsatisfiable', or undefined when absent/ignored.
 */
export function parseByteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = header.trim().match(/^bytes=([0-9]*)-([0-9]*)$/);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
