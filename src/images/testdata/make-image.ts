// Test fixture: writes a small image (layers, config, manifest, optionally an index) into a
// content store the way a pull does, with GC reference labels, and returns its descriptors.
import { createHash, randomBytes } from 'node:crypto';
import { gcRefContentLabel, writeBlob, type ContentStore } from '../../content/index.ts';
import { MediaTypes } from '../media-types.ts';
import type { Descriptor, History, ImageConfig, Index, Manifest, Platform } from '../types.ts';

export interface TestImage {
  target: Descriptor;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIds: string[];
  /** Per platform when an index was made. */
  platforms: { platform: Platform; manifest: Descriptor; config: Descriptor; layers: Descriptor[] }[];
}

export interface MakeImageOptions {
  /** Layer contents (uncompressed "tar" bytes); default two random layers. Reuse buffers to share layers. */
  layers?: Buffer[];
  created?: string;
  history?: History[];
  labels?: Record<string, string>;
  cmd?: string[];
  /** Make an index with one manifest per platform (all sharing the layers). */
  platforms?: Platform[];
  /** Write only these parts (e.g. skip other platforms' manifests as a pull does). */
  skipPlatformsBlobs?: boolean;
  docker?: boolean;
}

async function put(store: ContentStore, data: Buffer, mediaType: string, labels?: Record<string, string>): Promise<Descriptor> {
  const d = await writeBlob(store, data, labels ? { labels } : {});
  return { mediaType, digest: d.digest, size: d.size };
}

export function randomLayer(size = 1024): Buffer {
  return randomBytes(size);
}

export async function makeTestImage(store: ContentStore, options: MakeImageOptions = {}): Promise<TestImage> {
  const layerData = options.layers ?? [randomLayer(1000), randomLayer(2000)];
  const docker = options.docker ?? false;
  const layerType = docker ? MediaTypes.dockerLayer : MediaTypes.ociLayer;
  const layers: Descriptor[] = [];
  for (const l of layerData) layers.push(await put(store, l, layerType));
  const diffIds = layerData.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
  const platforms = options.platforms ?? [{ os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch }];
  const made: TestImage['platforms'] = [];
  for (const [i, platform] of platforms.entries()) {
    const cfg: ImageConfig = {
      created: options.created ?? '2024-05-06T07:08:09Z',
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Env: ['PATH=/usr/bin:/bin'], Cmd: options.cmd ?? ['sh'], ...(options.labels ? { Labels: options.labels } : {}) },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: options.history ?? layerData.map((_, j) => ({ created: '2024-05-06T07:08:09Z', created_by: `layer ${j}` })),
    };
    const config = await put(store, Buffer.from(JSON.stringify(cfg)), docker ? MediaTypes.dockerConfig : MediaTypes.ociConfig);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest,
      config,
      layers,
    };
    const labels: Record<string, string> = { [gcRefContentLabel('config')]: config.digest };
    layers.forEach((l, j) => (labels[gcRefContentLabel(`l.${j}`)] = l.digest));
    const mdesc = await put(store, Buffer.from(JSON.stringify(manifest)), manifest.mediaType!, labels);
    made.push({ platform, manifest: { ...mdesc, platform }, config, layers });
    if (i > 0 && options.skipPlatformsBlobs) {
      await store.delete(mdesc.digest as `sha256:${string}`);
      await store.delete(config.digest as `sha256:${string}`);
    }
  }
  let target = { ...made[0]!.manifest };
  delete target.platform;
  if (options.platforms) {
    const index: Index = {
      schemaVersion: 2,
      mediaType: docker ? MediaTypes.dockerManifestList : MediaTypes.ociIndex,
      manifests: made.map((m) => m.manifest),
    };
    const labels: Record<string, string> = {};
    made.forEach((m, j) => (labels[gcRefContentLabel(`m.${j}`)] = m.manifest.digest));
    target = await put(store, Buffer.from(JSON.stringify(index)), index.mediaType!, labels);
  }
  const first = made[0]!;
  return { target, manifest: first.manifest, config: first.config, layers: first.layers, diffIds, platforms: made };
}
