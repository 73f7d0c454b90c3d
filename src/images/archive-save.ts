import { mkdir, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { invalidArgument, wrap, digestHex, type Digest } from '../lib/index.ts';
import type { Provider } from '../content/index.ts';
import { MediaTypes, isIndexType } from './media-types.ts';
import { parseDockerRef, familiarName, familiarString } from './reference.ts';
import { selectManifest, hostPlatform, type PlatformSpec } from './platforms.ts';
import { Annotations, type Descriptor, type Index, type Manifest } from './types.ts';
import { packBuffer, packDir, packStream } from './archive-tar.ts';

/** One image to save: its manifest (or index) descriptor and the names it goes by. */
export interface SaveImage {
  target: Descriptor;
  /** Full or familiar references (`busybox:latest`); may be empty (saved unnamed). */
  names: readonly string[];
}

export interface SaveOptions {
  /**
   * 'docker' (default): a `docker save` archive as docker 25+ writes it: an OCI layout
   * (oci-layout, index.json, blobs/sha256/…) plus manifest.json and repositories, which `docker
   * load` and skopeo's docker-archive read. 'oci': an OCI image layout only.
   */
  format?: 'docker' | 'oci';
  /** Platform picked from an index target (default: the host's). */
  platform?: PlatformSpec;
  signal?: AbortSignal;
}

/** The annotation containerd and docker put on index.json entries: the full image name. */
export const containerdImageNameAnnotation = 'io.containerd.image.name';

interface ResolvedImage {
  names: string[];
  /** What index.json points at: the image's own target (an index stays an index). */
  targetDesc: Descriptor;
  /** The platform manifest (what manifest.json describes). */
  manifestDesc: Descriptor;
  manifest: Manifest;
  /** Blobs beyond the platform manifest's own: an index and its other platforms present locally. */
  extra: Descriptor[];
}

/** The blobs and JSON documents of an archive, computed once and written by either output. */
interface ArchivePlan {
  blobs: { digest: Digest; size: number }[];
  files: { name: string; data: string }[];
}

async function readJson<T>(content: Provider, desc: Descriptor): Promise<T> {
  return JSON.parse((await content.readBlob(desc as { digest: Digest; size: number })).toString('utf8')) as T;
}

/**
 * An index target is saved whole so its digest round-trips: the index blob plus every platform
 * manifest whose blobs are all present locally (a pull fetches one platform; the others are
 * left out, as docker does). manifest.json describes the selected platform.
 */
async function resolveImage(content: Provider, image: SaveImage, options: SaveOptions): Promise<ResolvedImage> {
  const target = image.target;
  let desc = target;
  const extra: Descriptor[] = [];
  if (isIndexType(target.mediaType)) {
    const index = await readJson<Index>(content, target);
    const pick = selectManifest(index.manifests, options.platform ?? hostPlatform());
    if (!pick) throw invalidArgument(`save: no manifest for the platform in index ${JSON.stringify(target.digest)}`);
    desc = pick;
    extra.push(target);
    for (const child of index.manifests) {
      if (child.digest === pick.digest || !(await content.exists(child.digest as Digest))) continue;
      if (isIndexType(child.mediaType)) continue;
      const m = await readJson<Manifest>(content, child);
      const parts = [m.config, ...(m.layers ?? [])];
      let complete = true;
      for (const b of parts) if (!(await content.exists(b.digest as Digest))) complete = false;
      if (complete) extra.push(...parts, child);
    }
  }
  const manifest = await readJson<Manifest>(content, desc);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw invalidArgument(`save: ${JSON.stringify(desc.digest)} is not an image manifest`);
  const names = image.names.map((n) => familiarString(parseDockerRef(n)));
  const strip = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  return { names, targetDesc: strip(target), manifestDesc: strip(desc), manifest, extra };
}

function blobPath(digest: string): string {
  return `blobs/${digest.slice(0, digest.indexOf(':'))}/${digestHex(digest as Digest)}`;
}

async function planArchive(content: Provider, images: readonly SaveImage[], options: SaveOptions): Promise<ArchivePlan> {
  if (images.length === 0) throw invalidArgument('save: no images');
  const resolved = [];
  for (const img of images) resolved.push(await resolveImage(content, img, options));
  const seen = new Set<string>();
  const blobs: ArchivePlan['blobs'] = [];
  const add = (d: Descriptor) => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    blobs.push({ digest: d.digest as Digest, size: d.size });
  };
  for (const r of resolved) {
    for (const l of r.manifest.layers) add(l);
    add(r.manifest.config);
    add(r.manifestDesc);
    for (const e of r.extra) add(e);
  }
  const indexEntries: Descriptor[] = [];
  for (const r of resolved) {
    if (r.names.length === 0) indexEntries.push(r.targetDesc);
    for (const name of r.names) {
      const ref = parseDockerRef(name);
      const ann: Record<string, string> = { [containerdImageNameAnnotation]: `${ref.domain}/${ref.path}${ref.tag ? ':' + ref.tag : ''}` };
      if (ref.tag) ann[Annotations.refName] = ref.tag;
      indexEntries.push({ ...r.targetDesc, annotations: ann });
    }
  }
  const index: Index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: indexEntries };
  const files: ArchivePlan['files'] = [
    { name: 'index.json', data: JSON.stringify(index) },
    { name: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
  ];
  if ((options.format ?? 'docker') === 'docker') {
    const manifestJson = resolved.map((r) => ({
      Config: blobPath(r.manifest.config.digest),
      RepoTags: r.names.filter((n) => !n.includes('@')),
      Layers: r.manifest.layers.map((l) => blobPath(l.digest)),
    }));
    files.push({ name: 'manifest.json', data: JSON.stringify(manifestJson) });
    const repositories: Record<string, Record<string, string>> = {};
    for (const r of resolved) {
      const top = r.manifest.layers[r.manifest.layers.length - 1];
      if (!top) continue;
      for (const n of r.names) {
        const ref = parseDockerRef(n);
        if (!ref.tag) continue;
        const repo = familiarName(ref);
        (repositories[repo] ??= {})[ref.tag] = digestHex(top.digest as Digest);
      }
    }
    files.push({ name: 'repositories', data: JSON.stringify(repositories) });
  }
  return { blobs, files };
}

/**
 * Writes `images` as an archive tar stream (see SaveOptions.format). The output is deterministic
 * (fixed entry times and order), and every blob is written as stored, so digests round-trip.
 */
export function saveArchive(content: Provider, images: readonly SaveImage[], options: SaveOptions = {}): Readable {
  const pack = tar.pack();
  (async () => {
    const plan = await planArchive(content, images, options);
    await packDir(pack, 'blobs');
    await packDir(pack, 'blobs/sha256');
    for (const b of plan.blobs) {
      options.signal?.throwIfAborted();
      const stream = await content.createReadStream({ digest: b.digest, size: b.size });
      await packStream(pack, blobPath(b.digest), b.size, stream);
    }
    for (const f of plan.files) await packBuffer(pack, f.name, f.data);
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(wrap(err, 'save images')));
  return pack as unknown as Readable;
}

/** saveArchive into a file. */
export async function saveArchiveToFile(content: Provider, images: readonly SaveImage[], path: string, options: SaveOptions = {}): Promise<void> {
  await pipeline(saveArchive(content, images, options), createWriteStream(path));
}

/** Writes `images` as an OCI image layout directory (oci-layout, index.json, blobs/). */
export async function saveOciLayoutDir(content: Provider, images: readonly SaveImage[], dir: string, options: Omit<SaveOptions, 'format'> = {}): Promise<void> {
  const plan = await planArchive(content, images, { ...options, format: 'oci' });
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of plan.blobs) {
    const stream = await content.createReadStream({ digest: b.digest, size: b.size });
    await pipeline(stream, createWriteStream(join(dir, blobPath(b.digest))));
  }
  for (const f of plan.files) await writeFile(join(dir, f.name), f.data);
}
