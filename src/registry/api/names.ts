import { isDigest } from '../../lib/index.ts';

/**
 * The distribution-spec grammar for repository names and references, shared by the server (which
 * refuses anything else with NAME_INVALID) and the client (which checks before sending).
 *
 *   name      := component ("/" component)*        total length < 256
 *   component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
 *   tag       := [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
 *   reference := tag | digest
 */
const componentRe = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export const maxNameLength = 255;

export function isRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > maxNameLength) return false;
  return name.split('/').every((c) => componentRe.test(c));
}

export function isTag(s: string): boolean {
  return tagRe.test(s);
}

/** A manifest reference in a URL: a tag or a digest. */
export function isManifestReference(s: string): boolean {
  return isTag(s) || isDigest(s);
}

/**
 * The referrers tag schema for a digest (`sha256:abc` → `sha256-abc`), used as a fallback by
 * clients when a registry has no referrers API.
 */
export function referrersTag(digest: string): string {
  const i = digest.indexOf(':');
  const alg = digest.slice(0, i).slice(0, 32).replace(/[^a-zA-Z0-9._-]/g, '-');
  const enc = digest.slice(i + 1).slice(0, 64).replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${alg}-${enc}`;
}
