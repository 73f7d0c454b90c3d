import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { Digester, invalidArgument, wrap, randomHex, type Digest } from '../lib/index.ts';
import { writeBlob, writeStream, type Provider, type WritableStore } from '../content/index.ts';
import { decompressLayer } from '../snapshots/index.ts';
import { MediaTypes } from './media-types.ts';
import { hostPlatform } from './platforms.ts';
import { normalizeReference } from './reference.ts';
import type { ImageStore } from './image-store.ts';
import type { Descriptor, ImageConfig, ImageConfigConfig, Manifest } from './types.ts';

export type ImportStore = WritableStore & Pick<Provider, 'createReadStream' | 'readBlob'>;

export interface ImportRootfsOptions {
  /** Name to record (`docker import file.tar repo:tag`). */
  name?: string;
  images?: ImageStore;
  /** Config defaults (docker import --change). */
  config?: ImageConfigConfig;
  /** History comment (docker import --message). */
  message?: string;
  os?: string;
  architecture?: string;
  variant?: string;
  created?: Date;
  signal?: AbortSignal;
}

export interface ImportResult {
  /** The new image's manifest descriptor. */
  target: Descriptor;
  /** The image ID: the config digest. */
  config: Digest;
  diffID: Digest;
  layer: Descriptor;
}

/**
 * The uncompressed digest of a stored layer blob (gzip, zstd or plain), checking that it is a
 * tar archive on the way.
 */
export async function layerDiffID(content: Pick<Provider, 'createReadStream'>, desc: { digest: Digest; size: number }): Promise<{ diffID: Digest; compression: 'gzip' | 'zstd' | 'none' }> {
  const layer = await decompressLayer(await content.createReadStream(desc));
  const d = new Digester();
  const extract = tar.extract();
  const feed = (async () => {
    for await (const chunk of layer.stream) {
      d.update(chunk as Buffer);
      if (!extract.write(chunk)) await new Promise((r) => extract.once('drain', () => r(undefined)));
    }
    extract.end(undefined);
  })();
  for await (const entry of extract) {
    for await (const _ of entry) {
      // headers only
    }
  }
  await feed;
  return { diffID: d.digest(), compression: layer.compression };
}

/** Stores `config` and a manifest for it and records `name`. */
export async function writeImage(
  content: ImportStore,
  config: ImageConfig,
  layers: Descriptor[],
  options: { name?: string; images?: ImageStore; docker?: boolean },
): Promise<{ target: Descriptor; config: Digest }> {
  const cfg = await writeBlob(content, JSON.stringify(config));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: options.docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest,
    config: { mediaType: options.docker ? MediaTypes.dockerConfig : MediaTypes.ociConfig, digest: cfg.digest, size: cfg.size },
    layers,
  };
  const m = await writeBlob(content, JSON.stringify(manifest));
  const target: Descriptor = { mediaType: manifest.mediaType!, digest: m.digest, size: m.size };
  if (options.name && options.images) options.images.put({ name: normalizeReference(options.name), target });
  return { target, config: cfg.digest };
}

/**
 * `docker import`: a root filesystem tar (plain, gzip or zstd) becomes a one-layer image. The
 * blob is stored as given (so its digest is the file's), its diffID computed by reading it back.
 */
export async function importRootfs(content: ImportStore, source: AsyncIterable<Uint8Array> | Readable, options: ImportRootfsOptions = {}): Promise<ImportResult> {
  try {
    const ref = `import-${randomHex(8)}`;
    const written = await writeStream(content, ref, source instanceof Readable ? source : Readable.from(source), options.signal ? { signal: options.signal } : {});
    if (written.size === 0) throw invalidArgument('the archive is empty');
    const { diffID, compression } = await layerDiffID(content, written);
    const mediaType = compression === 'gzip' ? MediaTypes.ociLayerGzip : compression === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer;
    const layer: Descriptor = { mediaType, digest: written.digest, size: written.size };
    const host = hostPlatform();
    const created = (options.created ?? new Date()).toISOString();
    const config: ImageConfig = {
      created,
      architecture: options.architecture ?? host.architecture,
      os: options.os ?? host.os,
      config: options.config ?? {},
      rootfs: { type: 'layers', diff_ids: [diffID] },
      history: [{ created, created_by: '', comment: options.message ?? 'Imported from tarball' }],
    };
    if (options.variant) config.variant = options.variant;
    const img = await writeImage(content, config, [layer], options.name && options.images ? { name: options.name, images: options.images } : {});
    return { ...img, diffID, layer };
  } catch (err) {
    throw wrap(err, 'import');
  }
}
