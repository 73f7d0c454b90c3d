import type { Readable } from 'node:stream';
import { isNotFound, parseDigest, type Digest } from '../../../lib/index.ts';
import { registryError } from '../../api/index.ts';
import type { StorageDriver } from './driver.ts';
import * as paths from './paths.ts';

/**
 * Blobs: one data file per digest, shared by every repository, plus per-repository links that
 * say which repositories may serve it (distribution's "linked blob store").
 */
export class BlobStore {
  constructor(private readonly driver: StorageDriver) {}

  /** Size of a blob's data, or undefined when the registry does not hold it. */
  async size(d: Digest): Promise<number | undefined> {
    try {
      return (await this.driver.stat(paths.blobDataPath(d))).size;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async isLinked(name: string, d: Digest): Promise<boolean> {
    return exists(this.driver, paths.layerLinkPath(name, d));
  }

  /** The blob's size when `name` may serve it (linked, or a manifest of the repo), else BLOB_UNKNOWN. */
  async statInRepo(name: string, d: Digest): Promise<number> {
    const linked = (await this.isLinked(name, d)) || (await exists(this.driver, paths.revisionLinkPath(name, d)));
    const size = linked ? await this.size(d) : undefined;
    if (size === undefined) throw registryError('BLOB_UNKNOWN', `blob ${JSON.stringify(d)} unknown to repository ${JSON.stringify(name)}`, { digest: d });
    return size;
  }

  async reader(d: Digest, start?: number, end?: number): Promise<Readable> {
    return this.driver.reader(paths.blobDataPath(d), start ?? 0, end);
  }

  async read(d: Digest): Promise<Buffer> {
    return this.driver.getContent(paths.blobDataPath(d));
  }

  /** Stores small content (a manifest) by digest; the caller computed `d` from `data`. */
  async putVerified(d: Digest, data: Uint8Array): Promise<void> {
    if ((await this.size(d)) === data.length) return;
    await this.driver.putContent(paths.blobDataPath(d), data);
  }

  async link(name: string, d: Digest): Promise<void> {
    await this.driver.putContent(paths.layerLinkPath(name, d), d);
  }

  /** Removes the repository's link (the data stays until garbage collection). */
  async unlink(name: string, d: Digest): Promise<void> {
    try {
      await this.driver.delete(paths.layerLinkPath(name, d).replace(/\/link$/, ''));
    } catch (err) {
      if (isNotFound(err)) throw registryError('BLOB_UNKNOWN', `blob ${JSON.stringify(d)} unknown to repository ${JSON.stringify(name)}`, { digest: d });
      throw err;
    }
  }

  /** Every digest linked into the repository's _layers. */
  async linked(name: string): Promise<Digest[]> {
    return listDigests(this.driver, paths.layersRoot(name));
  }
}

export async function exists(driver: StorageDriver, path: string): Promise<boolean> {
  try {
    await driver.stat(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Lists `<root>/<alg>/<hex>` entries as digests. */
export async function listDigests(driver: StorageDriver, root: string): Promise<Digest[]> {
  const out: Digest[] = [];
  let algs: string[];
  try {
    algs = await driver.list(root);
  } catch (err) {
    if (isNotFound(err)) return out;
    throw err;
  }
  for (const alg of algs) {
    for (const hex of await driver.list(`${root}/${alg}`).catch(() => [] as string[])) {
      try {
        out.push(parseDigest(`${alg}:${hex}`));
      } catch {
        // not a digest directory: ignore
      }
    }
  }
  return out;
}
