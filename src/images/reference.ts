import { invalidArgument } from '../lib/index.ts';

/**
 * Image references, parsed and normalized exactly as docker does (distribution/reference):
 *
 *   reference   := name [ ":" tag ] [ "@" digest ]
 *   name        := [domain "/"] path-component ["/" path-component]*
 *   domain      := host [":" port]          host: DNS name, or [IPv6]
 *   tag         := [\w][\w.-]{0,127}
 *   digest      := algorithm ":" hex
 *
 * The first component is a domain only if it contains "." or ":", is "localhost", or has an
 * uppercase letter; otherwise the domain is docker.io, and a one-component docker.io path gets
 * "library/" in front: `busybox` → `docker.io/library/busybox`. The "familiar" form reverses that
 * for display: `docker.io/library/busybox:latest` → `busybox:latest`.
 */
export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "localhost:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

export const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';
export const nameTotalLengthMax = 255;

const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const anchoredDomain = new RegExp(`^${domainAndPort}$`);
const anchoredRemainder = new RegExp(`^(${remoteName})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredReference = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredIdentifier = /^[a-f0-9]{64}$/;
const anchoredTag = new RegExp(`^${tagPat}$`);

function formatError(detail?: string): Error {
  return invalidArgument(detail ? `invalid reference format: ${detail}` : 'invalid reference format');
}

function checkDigest(digest: string): void {
  const i = digest.indexOf(':');
  const alg = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  const want = lengths[alg];
  if (want === undefined) throw formatError(`unsupported digest algorithm ${JSON.stringify(alg)}`);
  if (hex.length !== want) throw formatError(`invalid checksum digest length`);
  if (!/^[a-f0-9]+$/.test(hex)) throw formatError('invalid checksum digest format');
}

/** Explains why `s` does not parse, as precisely as the grammar allows. */
function diagnose(s: string): Error {
  if (s === '') return formatError('repository name must have at least one component');
  if (anchoredReference.test(s.toLowerCase())) return formatError('repository name must be lowercase');
  const at = s.indexOf('@');
  const beforeDigest = at >= 0 ? s.slice(0, at) : s;
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    const tag = beforeDigest.slice(colon + 1);
    if (tag.length > 128 && /^[\w][\w.-]*$/.test(tag)) return formatError('tag must not be more than 128 characters');
    if (!anchoredTag.test(tag)) return formatError(`invalid tag ${JSON.stringify(tag)}`);
  }
  if (at >= 0 && !new RegExp(`^${digestPat}$`).test(s.slice(at + 1))) return formatError(`invalid digest ${JSON.stringify(s.slice(at + 1))}`);
  return formatError();
}

function checkLength(ref: Reference): void {
  const name = `${ref.domain ? ref.domain + '/' : ''}${ref.path}`;
  if (name.length > nameTotalLengthMax) {
    throw formatError(`repository name must not be more than ${nameTotalLengthMax} characters`);
  }
}

/**
 * Parses a reference exactly as written, without docker's normalization (reference.Parse):
 * `foo/bar` has domain "foo". Most callers want parseNormalizedNamed or parseDockerRef.
 */
export function parseReference(s: string): Reference {
  const m = anchoredReference.exec(s);
  if (!m) throw diagnose(s);
  const ref: Reference = { domain: m[1] ?? '', path: m[2]! };
  if (m[3] !== undefined) ref.tag = m[3];
  if (m[4] !== undefined) {
    checkDigest(m[4]);
    ref.digest = m[4];
  }
  checkLength(ref);
  return ref;
}

/** Splits docker's way: the first component is a domain only if it looks like one. */
export function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = defaultDomain;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === legacyDefaultDomain) domain = defaultDomain;
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return { domain, remainder };
}

/**
 * Parses a user-supplied reference into its full form (reference.ParseNormalizedNamed):
 * docker.io and library/ are filled in, the tag and digest are kept as given (no default tag).
 */
export function parseNormalizedNamed(s: string): Reference {
  if (anchoredIdentifier.test(s)) {
    throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  if (s === '') throw formatError('repository name must have at least one component');
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep >= 0 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) throw formatError('repository name must be lowercase');
  if (!anchoredDomain.test(domain)) throw diagnose(s);
  const m = anchoredRemainder.exec(remainder);
  if (!m) throw diagnose(remainder);
  const ref: Reference = { domain, path: m[1]! };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    checkDigest(m[3]);
    ref.digest = m[3];
  }
  checkLength(ref);
  return ref;
}

/**
 * What `docker pull` and `docker run` make of a user's string (reference.ParseDockerRef):
 * normalized, with ":latest" when neither tag nor digest is given, and the tag dropped when
 * a digest is given (the digest wins).
 */
export function parseDockerRef(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.digest !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  if (ref.tag === undefined) return { ...ref, tag: defaultTag };
  return ref;
}

/** `domain/path` (reference.Name()). */
export function referenceName(ref: Reference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** The full string: `docker.io/library/busybox:latest`, `ghcr.io/x/y@sha256:…`. */
export function formatReference(ref: Reference): string {
  return `${referenceName(ref)}${ref.tag !== undefined ? ':' + ref.tag : ''}${ref.digest !== undefined ? '@' + ref.digest : ''}`;
}

/** The repository as users write it: `busybox`, `user/app`, `localhost:5000/a/b`. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== defaultDomain) return referenceName(ref);
  const p = ref.path;
  if (p.startsWith(officialRepoPrefix) && !p.slice(officialRepoPrefix.length).includes('/')) {
    return p.slice(officialRepoPrefix.length);
  }
  return p;
}

/** The reference as users write it: `busybox:latest`, `user/app@sha256:…`. */
export function familiarString(ref: Reference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? ':' + ref.tag : ''}${ref.digest !== undefined ? '@' + ref.digest : ''}`;
}

/** Shorthand: the full normalized string of a user's reference (`busybox` → `docker.io/library/busybox:latest`). */
export function normalizeReference(s: string): string {
  return formatReference(parseDockerRef(s));
}

/** True for a string that is a tag name on its own (`docker tag x repo:<tag>`). */
export function isValidTag(tag: string): boolean {
  return anchoredTag.test(tag);
}

/** True when `s` is a full 64-hex image ID, with or without "sha256:". */
export function isFullImageId(s: string): boolean {
  return anchoredIdentifier.test(s.startsWith('sha256:') ? s.slice(7) : s);
}
