import { invalidArgument, isDigest, type Digest } from '../../lib/index.ts';
import { isRepositoryName, isTag } from '../api/index.ts';

/**
 * A parsed image reference, normalized the way docker does:
 * `busybox` → docker.io/library/busybox:latest, `127.0.0.1:5000/a/b@sha256:..`.
 */
export interface ImageReference {
  /** The registry domain as users write it (docker.io, 127.0.0.1:5000). */
  domain: string;
  /** The repository path inside the registry (library/busybox). */
  path: string;
  tag?: string;
  digest?: Digest;
}

export const dockerHubDomain = 'docker.io';

/**
 * Parses a reference. The first component is a domain when it contains "." or ":" or is
 * "localhost" (docker's rule); otherwise the domain is docker.io and single-component names get
 * `library/`. Without tag or digest the tag is `latest`.
 */
export function parseReference(input: string): ImageReference {
  const bad = (why: string) => invalidArgument(`invalid reference format ${JSON.stringify(input)}: ${why}`);
  if (!input || input !== input.trim()) throw bad('empty or surrounded by spaces');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad(`invalid digest ${JSON.stringify(d)}`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) throw bad(`invalid tag ${JSON.stringify(tag)}`);
  }
  let domain = dockerHubDomain;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = dockerHubDomain;
  if (domain === dockerHubDomain && !path.includes('/')) path = `library/${path}`;
  if (!isRepositoryName(path)) throw bad(`invalid repository name ${JSON.stringify(path)}`);
  if (!/^[a-zA-Z0-9.-]+(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/.test(domain)) throw bad(`invalid domain ${JSON.stringify(domain)}`);
  if (!tag && !digest) tag = 'latest';
  const ref: ImageReference = { domain, path };
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  return ref;
}

/** The full normalized name: docker.io/library/busybox:latest, host:5000/a@sha256:... */
export function formatReference(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The name docker shows: busybox:latest for Docker Hub library images. */
export function familiarName(ref: ImageReference): string {
  let name = `${ref.domain}/${ref.path}`;
  if (ref.domain === dockerHubDomain) name = ref.path.startsWith('library/') ? ref.path.slice(8) : ref.path;
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The familiar repository name without tag or digest (busybox, 127.0.0.1:5000/a/b). */
export function familiarRepository(ref: ImageReference): string {
  if (ref.domain === dockerHubDomain) return ref.path.startsWith('library/') ? ref.path.slice(8) : ref.path;
  return `${ref.domain}/${ref.path}`;
}
