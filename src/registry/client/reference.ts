import { parseDigest, type Digest } from '../../lib/index.ts';
import * as images from '../../images/index.ts';

/**
 * A parsed image reference, normalized the way docker does (parsing is src/images' parseDockerRef):
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

export const dockerHubDomain = images.defaultDomain;

/** Parses and normalizes a reference; `latest` when neither tag nor digest is given. */
export function parseReference(input: string): ImageReference {
  const r = images.parseDockerRef(input);
  const out: ImageReference = { domain: r.domain, path: r.path };
  if (r.tag !== undefined) out.tag = r.tag;
  if (r.digest !== undefined) out.digest = parseDigest(r.digest);
  return out;
}

/** The full normalized name: docker.io/library/busybox:latest, host:5000/a@sha256:... */
export function formatReference(ref: ImageReference): string {
  return images.formatReference(ref);
}

/** The reference as docker shows it: busybox:latest for Docker Hub library images. */
export function familiarName(ref: ImageReference): string {
  return images.familiarString(ref);
}

/** The familiar repository name without tag or digest (busybox, 127.0.0.1:5000/a/b). */
export function familiarRepository(ref: ImageReference): string {
  return images.familiarName(ref);
}
