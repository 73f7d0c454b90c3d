import { isDigest, isNotFound, type Digest, type Logger, nullLogger } from '../../../lib/index.ts';
import { listDigests } from './blob-store.ts';
import type { RegistryStorage } from './registry-storage.ts';
import * as paths from './paths.ts';

export interface GarbageCollectOptions {
  /** Report what would be deleted without deleting. */
  dryRun?: boolean;
  /**
   * Online mode: keep blobs and uploads younger than this (a push in flight has uploaded its
   * blobs but not yet its manifest). 0 for an offline collection with the server stopped.
   */
  gracePeriodMs?: number;
  logger?: Logger;
}

export interface GarbageCollectResult {
  markedBlobs: number;
  deletedBlobs: Digest[];
  deletedUploads: number;
  freedBytes: number;
}

/**
 * Mark and sweep: every blob reachable from a manifest revision of any repository (the revision
 * itself, its config, layers and, for an index, its children) is kept; other blob data is
 * deleted together with the per-repository links to it, and stale uploads are purged. The sweep
 * runs under the storage's exclusive lock, so a manifest PUT never sees a blob vanish under it.
 */
export async function garbageCollect(storage: RegistryStorage, options: GarbageCollectOptions = {}): Promise<GarbageCollectResult> {
  const log = options.logger ?? nullLogger;
  const grace = options.gracePeriodMs ?? 0;
  const driver = storage.driver;
  return storage.lock.exclusive(async () => {
    const marked = new Set<string>();
    const repos = await storage.repositories();
    for (const name of repos) {
      for (const d of await storage.manifests.revisions(name)) {
        marked.add(d);
        let m: { config?: { digest?: string }; layers?: Array<{ digest?: string }>; manifests?: Array<{ digest?: string }>; blobs?: Array<{ digest?: string }> };
        try {
          m = JSON.parse((await storage.blobs.read(d)).toString());
        } catch (err) {
          if (isNotFound(err)) continue;
          log.warn('gc: unreadable manifest', { repository: name, digest: d, error: err });
          continue;
        }
        for (const desc of [m.config, ...(m.layers ?? []), ...(m.manifests ?? []), ...(m.blobs ?? [])]) {
          if (desc && typeof desc.digest === 'string' && isDigest(desc.digest)) marked.add(desc.digest);
        }
      }
    }
    const result: GarbageCollectResult = { markedBlobs: marked.size, deletedBlobs: [], deletedUploads: 0, freedBytes: 0 };
    const now = Date.now();
    const doomed = new Set<string>();
    await driver.walk(paths.blobsRoot(), async (info) => {
      const m = info.path.match(/\/blobs\/(sha256|sha512)\/[0-9a-f]{2}\/([0-9a-f]+)\/data$/);
      if (!m) return;
      const d = `${m[1]}:${m[2]}`;
      if (!isDigest(d) || marked.has(d)) return;
      if (grace > 0 && now - info.modTime.getTime() < grace) return;
      doomed.add(d);
      result.deletedBlobs.push(d);
      result.freedBytes += info.size;
    });
    for (const d of result.deletedBlobs) {
      log.info('gc: delete blob', { digest: d, dryRun: options.dryRun ?? false });
      if (!options.dryRun) await driver.delete(paths.blobDir(d)).catch(() => undefined);
    }
    for (const name of repos) {
      for (const d of await listDigests(driver, paths.layersRoot(name))) {
        if (doomed.has(d) && !options.dryRun) await driver.delete(paths.layerLinkPath(name, d).replace(/\/link$/, '')).catch(() => undefined);
      }
      for (const up of await storage.uploads.list(name)) {
        const age = now - up.startedAt.getTime();
        if (grace > 0 ? age > Math.max(grace, 24 * 3600_000) : true) {
          result.deletedUploads++;
          if (!options.dryRun) await storage.uploads.purge(name, up.id);
        }
      }
    }
    return result;
  });
}
