import { notFound, type Digest } from '../lib/index.ts';
import { gcRefContentLabel, type Provider } from '../content/index.ts';
import { isIndexType, isManifestType } from './media-types.ts';
import { hostPlatform, isAttestation, platformRank, type PlatformSpec } from './platforms.ts';
import { chainIds } from './rootfs.ts';
import type { Descriptor, ImageConfig, Manifest } from './types.ts';
import { parseImageConfig, parseIndex, parseManifest, type ManifestOrIndex } from './validate.ts';

/** What an image target (manifest or index) comes to on one platform. */
export interface ImageTarget {
  /** The platform manifest (the target itself when it is a manifest). */
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  /** chainIDs of the layers, bottom first; the last names the top snapshot. */
  chainIds: Digest[];
}

export type ImageBlobReader = Pick<Provider, 'readBlob' | 'exists'>;

/**
 * The manifest of `target` for `platform` (default the host) among those present in `content`:
 * an index is narrowed to the best matching platform whose manifest is stored (attestations
 * skipped); then the manifest and its config are read and checked. Not-found when no platform
 * manifest is stored.
 */
export async function resolveImageTarget(content: ImageBlobReader, target: Descriptor, platform: PlatformSpec = hostPlatform()): Promise<ImageTarget> {
  const m = await platformManifest(content, target, platform, 0);
  if (!m) throw notFound(`image ${target.digest}: no manifest for the platform is stored`);
  const configDescriptor = m.manifest.config;
  const config = parseImageConfig(await content.readBlob(configDescriptor));
  return { ...m, configDescriptor, config, chainIds: chainIds(config.rootfs.diff_ids ?? []) };
}

async function platformManifest(
  content: ImageBlobReader,
  target: Descriptor,
  platform: PlatformSpec,
  depth: number,
): Promise<{ manifestDescriptor: Descriptor; manifest: Manifest } | undefined> {
  if (isManifestType(target.mediaType)) {
    return { manifestDescriptor: target, manifest: parseManifest(await content.readBlob(target), { mediaType: target.mediaType }) };
  }
  if (!isIndexType(target.mediaType) || depth > 2) return undefined;
  const index = parseIndex(await content.readBlob(target), { mediaType: target.mediaType });
  // Matching platforms best first, then entries without a platform (nested indexes);
  // entries for other platforms are never used.
  const ranked = index.manifests
    .filter((m) => !isAttestation(m))
    .map((m, i) => ({ m, i, rank: m.platform ? platformRank(platform, m.platform) : Number.MAX_SAFE_INTEGER }))
    .filter((c) => c.rank !== Infinity)
    .sort((a, b) => a.rank - b.rank || a.i - b.i);
  for (const { m } of ranked) {
    if (!(await content.exists(m.digest))) continue;
    const r = await platformManifest(content, m, platform, depth + 1);
    if (r) return r;
  }
  return undefined;
}

/** The descriptors `desc` points to: an index's manifests, a manifest's config and layers. */
export async function childDescriptors(content: Pick<Provider, 'readBlob'>, desc: Descriptor): Promise<Descriptor[]> {
  if (isIndexType(desc.mediaType)) return parseIndex(await content.readBlob(desc), { mediaType: desc.mediaType }).manifests;
  if (isManifestType(desc.mediaType)) {
    const m = parseManifest(await content.readBlob(desc), { mediaType: desc.mediaType });
    return [m.config, ...m.layers];
  }
  return [];
}

/**
 * Visits `root` and everything below it, parents before children, each digest once. `fn` may
 * return false to skip a node's children (e.g. other platforms). Missing children are reported
 * to `fn` as well; only their children are not read.
 */
export async function walkImage(
  content: Pick<Provider, 'readBlob' | 'exists'>,
  root: Descriptor,
  fn: (desc: Descriptor, present: boolean) => boolean | void | Promise<boolean | void>,
): Promise<void> {
  const seen = new Set<string>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    const present = await content.exists(d.digest);
    if ((await fn(d, present)) === false || !present) return;
    for (const c of await childDescriptors(content, d)) await visit(c);
  };
  await visit(root);
}

/**
 * The GC reference labels a manifest or index blob should carry, as a pull writes them
 * (`containerd.io/gc.ref.content.config`, `.l.<i>`, `.m.<i>`), so its children stay alive with it.
 */
export function gcRefLabels(parsed: ManifestOrIndex): Record<string, string> {
  const labels: Record<string, string> = {};
  if (parsed.kind === 'index') {
    parsed.index.manifests.forEach((m, i) => (labels[gcRefContentLabel(`m.${i}`)] = m.digest));
  } else {
    labels[gcRefContentLabel('config')] = parsed.manifest.config.digest;
    parsed.manifest.layers.forEach((l, i) => (labels[gcRefContentLabel(`l.${i}`)] = l.digest));
  }
  return labels;
}
