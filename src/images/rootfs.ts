import { createHash } from 'node:crypto';
import { failedPrecondition, invalidArgument, isDigest, type Digest } from '../lib/index.ts';
import type { ImageConfig, Manifest } from './types.ts';

/**
 * Layers have three identities:
 * - the **digest** of the blob as stored and shipped (compressed or not);
 * - the **diffID**, the digest of the uncompressed tar, listed in the image config's rootfs;
 * - the **chainID**, which names the filesystem made by applying layers 0..n in order:
 *   chainID(0) = diffID(0); chainID(n) = sha256(chainID(n-1) + " " + diffID(n)).
 * Committed snapshots are named by chainID, so identical layer stacks are unpacked once.
 */
export function chainIds(diffIds: readonly string[]): Digest[] {
  const out: Digest[] = [];
  let prev: Digest | undefined;
  diffIds.forEach((d, i) => {
    if (!isDigest(d)) throw invalidArgument(`chain id: diff_ids[${i}]: invalid digest ${JSON.stringify(d)}`);
    prev = prev === undefined ? d : (`sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}` as Digest);
    out.push(prev);
  });
  return out;
}

/** The chainID of the whole stack (of an image's top layer); undefined for no layers. */
export function chainId(diffIds: readonly string[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}

/** The diffIDs of an image config. */
export function diffIds(config: ImageConfig): Digest[] {
  return (config.rootfs.diff_ids ?? []) as Digest[];
}

/**
 * Checks that a manifest and its config agree: as many layers as diffIDs. With `actualDiffIds`
 * (computed while unpacking), checks each layer's uncompressed digest against the config.
 */
export function checkDiffIds(manifest: Manifest, config: ImageConfig, actualDiffIds?: readonly (string | undefined)[]): void {
  const want = diffIds(config);
  if (want.length !== manifest.layers.length) {
    throw failedPrecondition(`image config lists ${want.length} diff ids for ${manifest.layers.length} layers in the manifest`);
  }
  if (!actualDiffIds) return;
  actualDiffIds.forEach((actual, i) => {
    if (actual !== undefined && actual !== want[i]) {
      throw failedPrecondition(`layer ${i} (${manifest.layers[i]!.digest}): diff id is ${actual}, image config says ${want[i]}`);
    }
  });
}
