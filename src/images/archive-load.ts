import { createReadStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { invalidArgument, isDigest, notFound, wrap, sha256, randomHex, type Digest } from '../lib/index.ts';
import { writeBlob, writeStream, type Provider, type WritableStore } from '../content/index.ts';
import { MediaTypes, isIndexType, isManifestType } from './media-types.ts';
import { normalizeReference } from './reference.ts';
import type { ImageStore } from './image-store.ts';
import { danglingName } from './image-store.ts';
import { Annotations, type Descriptor, type Index, type Manifest } from './types.ts';
import { containerdImageNameAnnotation } from './archive-save.ts';
import { drain } from './archive-tar.ts';

/** One image found in an archive. */
export interface LoadedImage {
  /** Full normalized name (`docker.io/library/busybox:latest`), absent for an unnamed image. */
  name?: string;
  /** The manifest (or index) descriptor. */
  target: Descriptor;
}

export interface LoadOptions {
  /** Where to record the loaded names (unnamed images are recorded as dangling). */
  images?: ImageStore;
  /** Name for images whose archive entry has only a tag (`ref.name` = "latest"), e.g. `myimg`. */
  repository?: string;
  signal?: AbortSignal;
}

type Store = WritableStore & Pick<Provider, 'readBlob' | 'exists'>;

interface ArchiveFile {
  digest: Digest;
  size: number;
  head: Buffer;
}

const SMALL = 4 * 1024 * 1024;

/** Cleans an archive path: no leading './' or '/', no '..' escaping the archive. */
function cleanPath(name: string): string {
  const p = posix.normalize('/' + name).slice(1).replace(/\/$/, '');
  if (p.split('/').includes('..')) throw invalidArgument(`load: archive entry ${JSON.stringify(name)} escapes the archive`);
  return p;
}

/**
 * Loads a `docker save` archive (legacy layout with manifest.json and <id>/layer.tar, or docker
 * 25+'s OCI layout with manifest.json) or an OCI image layout tar into the content store, in one
 * streaming pass: every file goes straight into the content store (blobs/sha256/<hex> verified
 * against their name), small JSON documents are kept in memory. Nothing is written outside the
 * content store. Returns the images found (and records their names in `options.images`).
 */
export async function loadArchive(content: Store, source: AsyncIterable<Uint8Array> | Readable, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const files = new Map<string, ArchiveFile>();
  const small = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const extract = tar.extract();
  const input = source instanceof Readable ? source : Readable.from(source);
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  const load = Math.random().toString(36).slice(2);
  let current = '';
  try {
    for await (const entry of extract) {
      options.signal?.throwIfAborted();
      const h = entry.header;
      current = h.name;
      const name = cleanPath(h.name);
      if (h.type === 'symlink' || h.type === 'link') {
        const target = h.type === 'symlink' ? posix.join(posix.dirname(name), h.linkname ?? '') : h.linkname ?? '';
        links.set(name, cleanPath(target));
        await drain(entry);
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        await drain(entry);
        continue;
      }
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      const expected = m ? ({ digest: `sha256:${m[1]}` as Digest, size: h.size }) : undefined;
      let head = Buffer.alloc(0);
      const keep = h.size <= SMALL;
      const chunks: Buffer[] = [];
      async function* tee(): AsyncGenerator<Uint8Array> {
        for await (const c of entry as AsyncIterable<Buffer>) {
          if (head.length < 4) head = Buffer.concat([head, c.subarray(0, 4 - head.length)]);
          if (keep) chunks.push(c);
          yield c;
        }
      }
      const ref = `load-${load}-${randomHex(4)}`;
      const wopts = expected ? { expected } : {};
      const written = await writeStream(content, ref, tee(), wopts);
      await drain(entry); // when the blob already existed, its bytes were not read
      if (expected && written.digest !== expected.digest) throw invalidArgument(`blob digest is ${written.digest}`);
      if (keep) {
        if (chunks.length === 0 && expected && h.size > 0) small.set(name, await content.readBlob(expected));
        else small.set(name, Buffer.concat(chunks));
      }
      files.set(name, { digest: written.digest, size: written.size, head });
    }
  } catch (err) {
    extract.destroy();
    throw wrap(err, current ? `load: archive entry ${JSON.stringify(current)}` : 'load');
  }
  return registerLoaded(content, { files, small, links }, options);
}

/** loadArchive from a file. */
export function loadArchiveFile(content: Store, path: string, options: LoadOptions = {}): Promise<LoadedImage[]> {
  return loadArchive(content, createReadStream(path), options);
}

interface Collected {
  files: Map<string, ArchiveFile>;
  small: Map<string, Buffer>;
  links: Map<string, string>;
}

function resolveLink(c: Collected, path: string): string {
  let p = cleanPath(path);
  for (let i = 0; i < 40 && c.links.has(p); i++) p = c.links.get(p)!;
  return p;
}

function fileOf(c: Collected, path: string, what: string): ArchiveFile {
  const f = c.files.get(resolveLink(c, path));
  if (!f) throw notFound(`load: ${what} ${JSON.stringify(path)} is not in the archive`);
  return f;
}

function jsonOf<T>(c: Collected, path: string): T | undefined {
  const b = c.small.get(resolveLink(c, path));
  if (!b) return undefined;
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch (err) {
    throw invalidArgument(`load: ${path} is not valid JSON`, err);
  }
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function layerMediaType(head: Buffer): string {
  if (head[0] === 0x1f && head[1] === 0x8b) return MediaTypes.dockerLayerGzip;
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return MediaTypes.dockerLayerZstd;
  return MediaTypes.dockerLayer;
}

function nameOf(raw: string | undefined, repository: string | undefined): string | undefined {
  if (!raw) return undefined;
  // a bare tag ("latest") names nothing on its own
  if (!raw.includes('/') && !raw.includes(':') && !raw.includes('@')) {
    if (!repository) return undefined;
    return normalizeReference(`${repository}:${raw}`);
  }
  return normalizeReference(raw);
}

async function registerLoaded(content: Store, c: Collected, options: LoadOptions): Promise<LoadedImage[]> {
  const out: LoadedImage[] = [];
  const index = jsonOf<Index>(c, 'index.json');
  const dockerManifest = jsonOf<DockerManifestEntry[]>(c, 'manifest.json');
  if (index) {
    // OCI layout (docker 25+ archives carry one too): exact manifests by digest
    const tagsByConfig = new Map<string, string[]>();
    for (const e of dockerManifest ?? []) {
      const cfg = c.files.get(resolveLink(c, e.Config));
      if (cfg) tagsByConfig.set(cfg.digest, e.RepoTags ?? []);
    }
    const seenTargets = new Set<string>();
    for (const d of index.manifests ?? []) {
      if (!isDigest(d.digest)) throw invalidArgument(`load: index.json: invalid digest ${JSON.stringify(d.digest)}`);
      if (!(await content.exists(d.digest))) throw notFound(`load: manifest ${d.digest} is not in the archive`);
      await checkComplete(content, d);
      const target: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
      if (d.platform) target.platform = d.platform;
      const ann = d.annotations ?? {};
      let name = nameOf(ann[containerdImageNameAnnotation] ?? ann[Annotations.refName], options.repository);
      if (!name && isManifestType(d.mediaType) && !seenTargets.has(d.digest)) {
        const m = JSON.parse((await content.readBlob(d as { digest: Digest; size: number })).toString('utf8')) as Manifest;
        const tags = tagsByConfig.get(m.config.digest) ?? [];
        for (const t of tags) out.push({ name: normalizeReference(t), target });
        if (tags.length > 0) {
          seenTargets.add(d.digest);
          continue;
        }
      }
      seenTargets.add(d.digest);
      out.push(name ? { name, target } : { target });
    }
  } else if (dockerManifest) {
    // legacy docker save: synthesize a schema 2 manifest from the config and layer files
    for (const e of dockerManifest) {
      const cfg = fileOf(c, e.Config, 'config');
      const layers: Descriptor[] = e.Layers.map((l) => {
        const f = fileOf(c, l, 'layer');
        return { mediaType: layerMediaType(f.head), digest: f.digest, size: f.size };
      });
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: { mediaType: MediaTypes.dockerConfig, digest: cfg.digest, size: cfg.size },
        layers,
      };
      const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
      const written = await writeBlob(content, bytes);
      const target: Descriptor = { mediaType: MediaTypes.dockerManifest, digest: written.digest, size: written.size };
      if (written.digest !== sha256(bytes)) throw invalidArgument('load: manifest digest mismatch');
      const tags = e.RepoTags ?? [];
      if (tags.length === 0) out.push({ target });
      for (const t of tags) out.push({ name: normalizeReference(t), target });
    }
  } else {
    throw invalidArgument('load: neither manifest.json nor index.json found: not an image archive');
  }
  if (options.images) {
    for (const img of out) options.images.put({ name: img.name ?? danglingName(img.target.digest), target: img.target });
  }
  return out;
}

/** Every blob an image needs must be in the store before it is recorded. */
async function checkComplete(content: Store, d: Descriptor): Promise<void> {
  const doc = JSON.parse((await content.readBlob(d as { digest: Digest; size: number })).toString('utf8')) as Partial<Manifest & Index>;
  if (isIndexType(d.mediaType) || Array.isArray(doc.manifests)) {
    for (const m of doc.manifests ?? []) if (await content.exists(m.digest as Digest)) await checkComplete(content, m);
    return;
  }
  for (const b of [doc.config, ...(doc.layers ?? [])]) {
    if (!b) throw invalidArgument(`load: manifest ${d.digest} has no config`);
    if (!(await content.exists(b.digest as Digest))) throw notFound(`load: blob ${b.digest} of manifest ${d.digest} is not in the archive`);
  }
}

/** Loads an OCI image layout directory (index.json + blobs/) into the content store. */
export async function loadOciLayoutDir(content: Store, dir: string, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index;
  if (!Array.isArray(index.manifests)) throw invalidArgument(`load ${JSON.stringify(dir)}: index.json has no manifests`);
  const c: Collected = { files: new Map(), small: new Map(), links: new Map() };
  c.small.set('index.json', Buffer.from(JSON.stringify(index)));
  const algDir = join(dir, 'blobs', 'sha256');
  for (const hex of await readdir(algDir)) {
    if (!/^[a-f0-9]{64}$/.test(hex)) continue;
    const digest = `sha256:${hex}` as Digest;
    const written = await writeStream(content, `load-dir-${hex}`, createReadStream(join(algDir, hex)), { expected: { digest } });
    c.files.set(`blobs/sha256/${hex}`, { digest, size: written.size, head: Buffer.alloc(0) });
  }
  return registerLoaded(content, c, options);
}
