import { errorCode, isDigest, isNotFound, type Digest, type Logger } from '../lib/index.ts';
import { ContentLabels, type ContentStore } from '../content/index.ts';
import type { MetadataDb } from '../metadata/index.ts';
import { UNPACK_OWNER_LABEL } from '../snapshots/index.ts';
import type { ImageStore } from './image-store.ts';
import type { LeaseManager } from './leases.ts';
import { isConfigType, isIndexType, isLayerType, isManifestType } from './media-types.ts';
import { chainIds } from './rootfs.ts';

/**
 * Garbage collection, mark and sweep (containerd's GC, in one pass):
 *
 * Roots: every image record's target; every resource of a live lease (pulls, builds and unpacks
 * in progress); blobs and snapshots labelled `containerd.io/gc.root`; active snapshots of an
 * unpack in progress (`berth.unpack/owner`); and what the caller's `roots()` names (the
 * snapshots of containers, which the image side cannot see: pass them, or GC removes them).
 * Edges: manifest → config and layers, index → manifests (read from the blobs, and from
 * `containerd.io/gc.ref.content.*` labels); config → the snapshots of its chainIDs and
 * `containerd.io/gc.ref.snapshot.*` labels; snapshot → its parent.
 * Sweep: unreferenced blobs, unreferenced snapshots (children before parents), expired leases,
 * and ingests idle for longer than `ingestMaxAgeMs` that no live lease holds.
 *
 * Races: candidates are listed *before* the roots are read, and the roots (image records and
 * leases) are read in one SQLite transaction, so a blob committed after the listing is not a
 * candidate, and a pull that leases a digest before writing it is always seen as a root. From
 * reading the roots to the end of the sweep, LeaseManager.addResource waits, so a pull never
 * takes a blob the sweep is about to remove for one already present.
 */

/** The snapshot side GC needs (the overlay snapshotter satisfies it). */
export interface GcSnapshotter {
  walk(fn: (info: { name: string; parent?: string; kind: string; labels: Record<string, string> }) => void | Promise<void>): Promise<void>;
  remove(key: string): Promise<void>;
  usage?(key: string): Promise<{ size: number }>;
}

export interface GcRoots {
  content?: Iterable<string>;
  snapshots?: Iterable<string>;
}

export interface GarbageCollectorOptions {
  db: MetadataDb;
  content: ContentStore;
  images: ImageStore;
  leases: LeaseManager;
  /**
   * Snapshots to collect, with the roots only the caller knows (containers' snapshot keys), and
   * an optional cleanup run first (the daemon passes `() => cleanupUnpacks(snapshotter)`, which
   * removes the extraction snapshots of unpacks killed mid-way; GC keeps a live unpack's).
   */
  snapshots?: {
    snapshotter: GcSnapshotter;
    roots: () => GcRoots | Promise<GcRoots>;
    cleanup?: () => Promise<string[] | void>;
  };
  /** Extra content roots. */
  roots?: () => GcRoots | Promise<GcRoots>;
  /** Idle ingests older than this are removed (default one hour). */
  ingestMaxAgeMs?: number;
  logger?: Logger;
}

export interface GcResult {
  removedContent: Digest[];
  removedSnapshots: string[];
  removedIngests: string[];
  expiredLeases: string[];
  reclaimedBytes: number;
}

/** Blobs larger than this are never read to look for references (layers are not JSON). */
const maxJsonSize = 8 * 1024 * 1024;

export class GarbageCollector {
  private readonly opts: GarbageCollectorOptions;
  private running: Promise<GcResult> | undefined;

  constructor(options: GarbageCollectorOptions) {
    this.opts = options;
  }

  /** Runs one collection; concurrent calls wait for the one in progress and then run again. */
  async collect(options: { dryRun?: boolean } = {}): Promise<GcResult> {
    while (this.running) await this.running.catch(() => undefined);
    const p = this.run(options.dryRun ?? false);
    this.running = p;
    try {
      return await p;
    } finally {
      this.running = undefined;
    }
  }

  private async run(dryRun: boolean): Promise<GcResult> {
    const { content, leases } = this.opts;
    const now = new Date();
    const result: GcResult = { removedContent: [], removedSnapshots: [], removedIngests: [], expiredLeases: [], reclaimedBytes: 0 };

    // 1. Candidates, listed before the roots are read.
    const blobs = new Map<Digest, { size: number; labels: Record<string, string> }>();
    await content.walk((i) => {
      blobs.set(i.digest, { size: i.size, labels: i.labels });
    });
    const snaps = new Map<string, { parent?: string; kind: string; labels: Record<string, string> }>();
    const snapshotter = this.opts.snapshots?.snapshotter;
    const cleaned = dryRun ? undefined : await this.opts.snapshots?.cleanup?.();
    if (cleaned) result.removedSnapshots.push(...cleaned);
    if (snapshotter) {
      await snapshotter.walk((i) => {
        snaps.set(i.name, { ...(i.parent ? { parent: i.parent } : {}), kind: i.kind, labels: i.labels });
      });
    }

    // 2. Roots: image records and live leases, read together. From here to the end of the sweep
    // no resource can be added to a lease (addResource waits).
    const release = leases.holdForCollection();
    try {
      return await this.markAndSweep(dryRun, now, result, blobs, snaps);
    } finally {
      release();
    }
  }

  private async markAndSweep(
    dryRun: boolean,
    now: Date,
    result: GcResult,
    blobs: Map<Digest, { size: number; labels: Record<string, string> }>,
    snaps: Map<string, { parent?: string; kind: string; labels: Record<string, string> }>,
  ): Promise<GcResult> {
    const { content, images, leases, db, logger } = this.opts;
    const snapshotter = this.opts.snapshots?.snapshotter;
    if (!dryRun) result.expiredLeases = leases.deleteExpired(now);
    const { targets, leased } = db.transaction(() => ({
      targets: images.list().map((r) => r.target),
      leased: leases.activeResources(now),
    }))();
    const extra = (await this.opts.roots?.()) ?? {};
    const snapRoots = (await this.opts.snapshots?.roots()) ?? {};

    // 3. Mark content.
    const marked = new Set<string>();
    const markedSnaps = new Set<string>();
    const queue: { digest: string; mediaType?: string }[] = [];
    const push = (digest: string, mediaType?: string) => {
      if (!isDigest(digest) || marked.has(digest)) return;
      marked.add(digest);
      queue.push(mediaType === undefined ? { digest } : { digest, mediaType });
    };
    for (const t of targets) push(t.digest, t.mediaType);
    for (const d of leased.content) push(d);
    for (const d of extra.content ?? []) push(d);
    for (const d of snapRoots.content ?? []) push(d);
    for (const [d, b] of blobs) if (b.labels[ContentLabels.gcRoot] !== undefined) push(d);
    while (queue.length > 0) {
      const { digest, mediaType } = queue.shift()!;
      const blob = blobs.get(digest as Digest);
      if (!blob) continue; // referenced but not here (another platform, not pulled yet)
      for (const [k, v] of Object.entries(blob.labels)) {
        if (k.startsWith(ContentLabels.gcRefContentPrefix + '.')) for (const d of v.split(',')) push(d.trim());
        else if (k.startsWith(ContentLabels.gcRefSnapshotPrefix + '.')) markedSnaps.add(v);
      }
      if (isLayerType(mediaType) || blob.size > maxJsonSize) continue;
      let json: unknown;
      try {
        json = JSON.parse((await content.readBlob({ digest: digest as Digest })).toString('utf8'));
      } catch (err) {
        if (isNotFound(err) || err instanceof SyntaxError) continue;
        throw err;
      }
      if (typeof json !== 'object' || json === null) continue;
      const o = json as Record<string, unknown>;
      const desc = (v: unknown) => (typeof v === 'object' && v !== null ? (v as { digest?: unknown; mediaType?: unknown }) : undefined);
      const pushDesc = (v: unknown) => {
        const d = desc(v);
        if (d && typeof d.digest === 'string') push(d.digest, typeof d.mediaType === 'string' ? d.mediaType : undefined);
      };
      if (isIndexType(mediaType) || (mediaType === undefined && Array.isArray(o.manifests))) {
        if (Array.isArray(o.manifests)) o.manifests.forEach(pushDesc);
      } else if (isManifestType(mediaType) || (mediaType === undefined && o.config !== undefined && Array.isArray(o.layers))) {
        pushDesc(o.config);
        if (Array.isArray(o.layers)) o.layers.forEach(pushDesc);
      } else if (isConfigType(mediaType) || (mediaType === undefined && typeof o.rootfs === 'object')) {
        const diffs = (o.rootfs as { diff_ids?: unknown } | null)?.diff_ids;
        if (Array.isArray(diffs) && diffs.every((d) => typeof d === 'string' && isDigest(d))) {
          for (const c of chainIds(diffs as string[])) markedSnaps.add(c);
        }
      }
      if (o.subject !== undefined) pushDesc(o.subject);
    }

    // 4. Mark snapshots: roots, leases, gc.root labels, then every parent of a marked one.
    if (snapshotter) {
      for (const s of leased.snapshots) markedSnaps.add(s);
      for (const s of snapRoots.snapshots ?? []) markedSnaps.add(s);
      for (const s of extra.snapshots ?? []) markedSnaps.add(s);
      for (const [name, s] of snaps) {
        if (s.labels[ContentLabels.gcRoot] !== undefined) markedSnaps.add(name);
        // An unpack in progress owns its active snapshot; cleanupUnpacks removes a dead owner's.
        if (s.kind !== 'committed' && s.labels[UNPACK_OWNER_LABEL] !== undefined) markedSnaps.add(name);
      }
      for (const name of [...markedSnaps]) {
        let p = snaps.get(name)?.parent;
        while (p !== undefined && !markedSnaps.has(p)) {
          markedSnaps.add(p);
          p = snaps.get(p)?.parent;
        }
      }
    }

    // 5. Sweep content.
    for (const [digest, b] of blobs) {
      if (marked.has(digest)) continue;
      if (!dryRun) {
        try {
          await content.delete(digest);
        } catch (err) {
          if (isNotFound(err)) continue;
          throw err;
        }
      }
      result.removedContent.push(digest);
      result.reclaimedBytes += b.size;
    }

    // 6. Sweep snapshots, leaves first.
    if (snapshotter) {
      const left = new Map([...snaps].filter(([n]) => !markedSnaps.has(n)));
      const children = new Map<string, number>();
      for (const s of snaps.values()) if (s.parent !== undefined) children.set(s.parent, (children.get(s.parent) ?? 0) + 1);
      let progress = true;
      while (left.size > 0 && progress) {
        progress = false;
        for (const [name, s] of left) {
          if ((children.get(name) ?? 0) > 0) continue;
          left.delete(name);
          progress = true;
          let size = 0;
          if (snapshotter.usage) size = (await snapshotter.usage(name).catch(() => ({ size: 0 }))).size;
          if (!dryRun) {
            try {
              await snapshotter.remove(name);
            } catch (err) {
              logger?.warn('gc: cannot remove snapshot', { snapshot: name, err, code: errorCode(err) });
              continue;
            }
          }
          if (s.parent !== undefined) children.set(s.parent, (children.get(s.parent) ?? 1) - 1);
          result.removedSnapshots.push(name);
          result.reclaimedBytes += size;
        }
      }
    }

    // 7. Stale ingests nobody holds.
    const olderThan = new Date(now.getTime() - (this.opts.ingestMaxAgeMs ?? 3_600_000));
    if (dryRun) {
      for (const s of await content.listStatuses()) {
        if (!content.isIngestActive(s.ref) && !leased.ingests.has(s.ref) && s.updatedAt < olderThan) result.removedIngests.push(s.ref);
      }
    } else {
      result.removedIngests = await content.pruneIngests({ olderThan, keep: (ref) => leased.ingests.has(ref) });
    }

    logger?.info('gc done', {
      content: result.removedContent.length,
      snapshots: result.removedSnapshots.length,
      ingests: result.removedIngests.length,
      leases: result.expiredLeases.length,
      bytes: result.reclaimedBytes,
      dryRun,
    });
    return result;
  }
}
