import { digestAlgorithm, digestHex, type Digest } from '../../../lib/index.ts';

/**
 * The whole on-disk layout of berth-registry, in one place. Every path below is a StorageDriver
 * path (relative to the driver's root, e.g. --root).
 *
 *   /v2
 *   ├── blobs/<alg>/<hex[0:2]>/<hex>/data            every blob (layers, configs, manifests) once,
 *   │                                                 shared by all repositories; written only by
 *   │                                                 moving a verified upload here
 *   └── repositories/<name>/                          <name> may contain slashes (library/busybox)
 *       ├── _layers/<alg>/<hex>/link                  this repo may serve blob <digest>; contents: the digest
 *       ├── _manifests/
 *       │   ├── revisions/<alg>/<hex>/link            manifest <digest> belongs to this repo
 *       │   ├── revisions/<alg>/<hex>/mediatype       the Content-Type it was pushed with
 *       │   └── tags/<tag>/current/link               the digest the tag points at
 *       ├── _referrers/<alg>/<hex>/<ralg>/<rhex>/link  manifest <r> has subject <alg:hex>; contents:
 *       │                                             the descriptor JSON served by the referrers API
 *       └── _uploads/<id>/
 *           ├── data                                  bytes received so far (appended by PATCH/PUT)
 *           └── startedat                             ISO time the upload began (expiry, GC)
 *
 * A repository exists when its directory has a _manifests or _layers entry. Links are small files
 * holding a digest, written atomically. Nothing points at a blob before its data is in place, and
 * a blob's data is only ever in place once its digest has been verified.
 */
export const root = '/v2';

function split(d: Digest): [string, string] {
  return [digestAlgorithm(d), digestHex(d)];
}

export const blobsRoot = () => `${root}/blobs`;
export function blobDataPath(d: Digest): string {
  const [alg, hex] = split(d);
  return `${root}/blobs/${alg}/${hex.slice(0, 2)}/${hex}/data`;
}
export function blobDir(d: Digest): string {
  const [alg, hex] = split(d);
  return `${root}/blobs/${alg}/${hex.slice(0, 2)}/${hex}`;
}

export const repositoriesRoot = () => `${root}/repositories`;
export const repoPath = (name: string) => `${root}/repositories/${name}`;

export function layerLinkPath(name: string, d: Digest): string {
  const [alg, hex] = split(d);
  return `${repoPath(name)}/_layers/${alg}/${hex}/link`;
}
export const layersRoot = (name: string) => `${repoPath(name)}/_layers`;

export function revisionDir(name: string, d: Digest): string {
  const [alg, hex] = split(d);
  return `${repoPath(name)}/_manifests/revisions/${alg}/${hex}`;
}
export const revisionLinkPath = (name: string, d: Digest) => `${revisionDir(name, d)}/link`;
export const revisionMediaTypePath = (name: string, d: Digest) => `${revisionDir(name, d)}/mediatype`;
export const revisionsRoot = (name: string) => `${repoPath(name)}/_manifests/revisions`;

export const tagsRoot = (name: string) => `${repoPath(name)}/_manifests/tags`;
export const tagDir = (name: string, tag: string) => `${tagsRoot(name)}/${tag}`;
export const tagLinkPath = (name: string, tag: string) => `${tagDir(name, tag)}/current/link`;

export function referrersDir(name: string, subject: Digest): string {
  const [alg, hex] = split(subject);
  return `${repoPath(name)}/_referrers/${alg}/${hex}`;
}
export function referrerLinkPath(name: string, subject: Digest, referrer: Digest): string {
  const [alg, hex] = split(referrer);
  return `${referrersDir(name, subject)}/${alg}/${hex}/link`;
}
export const referrersRoot = (name: string) => `${repoPath(name)}/_referrers`;

export const uploadsRoot = (name: string) => `${repoPath(name)}/_uploads`;
export const uploadDir = (name: string, id: string) => `${uploadsRoot(name)}/${id}`;
export const uploadDataPath = (name: string, id: string) => `${uploadDir(name, id)}/data`;
export const uploadStartedAtPath = (name: string, id: string) => `${uploadDir(name, id)}/startedat`;
