import { Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Digester, invalidArgument, wrap, randomHex, type Digest } from '../lib/index.ts';
import { writeStream } from '../content/index.ts';
import type { Mount } from '../sys/index.ts';
import { diff, unpackImage, type Snapshotter } from '../snapshots/index.ts';
import { MediaTypes, isIndexType } from './media-types.ts';
import type { ImageStore } from './image-store.ts';
import type { Descriptor, ImageConfig, ImageConfigConfig, Manifest } from './types.ts';
import { writeImage, type ImportStore } from './import-rootfs.ts';

export interface CommitContainerOptions {
  /** The container's image: its manifest descriptor (not an index). */
  parent: Descriptor;
  /** The container's upper dir (its active snapshot's layer dir). */
  upper: string;
  /** The mounts of the container's parent (a view of the image top), for the differ. */
  lower?: readonly Mount[];
  /** Config changes (docker commit --change), merged over the parent's config. */
  config?: ImageConfigConfig;
  author?: string;
  /** docker commit --message. */
  comment?: string;
  /** The history line (docker puts the container's command here). */
  createdBy?: string;
  /** Name to record, e.g. `myimg:v2`. */
  name?: string;
  images?: ImageStore;
  /** When given, the new layer is unpacked there too (the image can run without a re-unpack). */
  snapshotter?: Snapshotter;
  created?: Date;
  signal?: AbortSignal;
}

export interface CommitResult {
  target: Descriptor;
  config: Digest;
  layer: Descriptor;
  diffID: Digest;
}

/**
 * Turns an overlay upper dir (whiteouts included) into a gzip layer blob in the content store;
 * returns the blob's digest and size and the layer's diffID. Commit and build both use it.
 */
export async function writeDiffLayer(
  content: ImportStore,
  lower: readonly Mount[],
  upper: string,
  signal?: AbortSignal,
): Promise<{ diffID: Digest; written: { digest: Digest; size: number } }> {
  const diffDigest = new Digester();
  const hash = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      diffDigest.update(chunk);
      cb(null, chunk);
    },
  });
  const gzip = createGzip({ level: 1 });
  const producing = pipeline(diff(lower, upper, signal ? { signal } : {}), hash, gzip);
  producing.catch(() => {});
  const [written] = await Promise.all([writeStream(content, `commit-${randomHex(8)}`, gzip), producing]);
  const diffID = diffDigest.digest();
  return { diffID, written };
}

/**
 * `docker commit`: the container's changes (its overlay upper dir, whiteouts included) become a
 * new gzip layer on top of its image, with a new config (diffIDs and history extended, config
 * changes applied) and manifest in the same format (OCI or Docker) as the parent.
 */
export async function commitContainer(content: ImportStore, options: CommitContainerOptions): Promise<CommitResult> {
  try {
    if (isIndexType(options.parent.mediaType)) throw invalidArgument('the parent must be a manifest, not an index');
    const parentManifest = JSON.parse((await content.readBlob(options.parent as { digest: Digest; size: number })).toString('utf8')) as Manifest;
    const parentConfig = JSON.parse((await content.readBlob(parentManifest.config as { digest: Digest; size: number })).toString('utf8')) as ImageConfig;
    const docker = parentManifest.mediaType === MediaTypes.dockerManifest || parentManifest.config.mediaType === MediaTypes.dockerConfig;

    const { diffID, written } = await writeDiffLayer(content, options.lower ?? [], options.upper, options.signal);
    const layer: Descriptor = { mediaType: docker ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip, digest: written.digest, size: written.size };

    const created = (options.created ?? new Date()).toISOString();
    const history = { created, created_by: options.createdBy ?? '' } as NonNullable<ImageConfig['history']>[number];
    if (options.author) history.author = options.author;
    if (options.comment) history.comment = options.comment;
    const config: ImageConfig = {
      ...parentConfig,
      created,
      config: { ...(parentConfig.config ?? {}), ...(options.config ?? {}) },
      rootfs: { type: 'layers', diff_ids: [...parentConfig.rootfs.diff_ids, diffID] },
      history: [...(parentConfig.history ?? []), history],
    };
    if (options.author) config.author = options.author;
    const img = await writeImage(content, config, [...parentManifest.layers, layer], {
      docker,
      ...(options.name && options.images ? { name: options.name, images: options.images } : {}),
    });
    if (options.snapshotter) {
      const manifest = JSON.parse((await content.readBlob(img.target as { digest: Digest; size: number })).toString('utf8')) as Manifest;
      await unpackImage(content, { config: manifest.config as { digest: Digest; size: number }, layers: manifest.layers as { digest: Digest; size: number; mediaType: string }[] }, options.snapshotter);
    }
    return { ...img, layer, diffID };
  } catch (err) {
    throw wrap(err, 'commit');
  }
}
