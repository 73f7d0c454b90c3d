import type { Digest } from '../lib/index.ts';
import { migrate, type MetadataDb } from '../metadata/index.ts';
import type { Descriptor } from '../images/index.ts';

/**
 * The build cache: a step's cache key (its parent layer chain, the config it ran with, its
 * text, the ARGs in scope and, for COPY/ADD, a checksum of its sources) → the layer it made.
 * A hit is only used while the layer blob still exists; entries whose blobs the image GC
 * removed are dropped by `prune`. Keys starting with `image:` map a whole build's result
 * (config and layers, timestamps aside) to the image it wrote: the manifest descriptor in
 * `layer` and the image ID in `diffID`.
 */
export interface CacheEntry {
  layer: Descriptor;
  diffID: Digest;
}

export class BuildCache {
  private readonly db: MetadataDb;

  constructor(db: MetadataDb) {
    this.db = db;
    migrate(db, 'builder', [
      `CREATE TABLE build_cache (
        key TEXT PRIMARY KEY,
        layer TEXT NOT NULL,
        diff_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT NOT NULL
      )`,
    ]);
  }

  get(key: string): CacheEntry | undefined {
    const row = this.db.prepare('SELECT layer, diff_id FROM build_cache WHERE key = ?').get(key) as { layer: string; diff_id: string } | undefined;
    if (!row) return undefined;
    this.db.prepare('UPDATE build_cache SET last_used_at = ? WHERE key = ?').run(new Date().toISOString(), key);
    return { layer: JSON.parse(row.layer) as Descriptor, diffID: row.diff_id as Digest };
  }

  put(key: string, entry: CacheEntry): void {
    const now = new Date().toISOString();
    this.db
      .prepare('INSERT OR REPLACE INTO build_cache (key, layer, diff_id, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)')
      .run(key, JSON.stringify(entry.layer), entry.diffID, now, now);
  }

  /** Layer digests the cache refers to: roots for the image GC while the cache keeps them. */
  layerDigests(): Digest[] {
    const rows = this.db.prepare("SELECT layer FROM build_cache WHERE key NOT LIKE 'image:%'").all() as { layer: string }[];
    return rows.map((r) => (JSON.parse(r.layer) as Descriptor).digest as Digest);
  }

  /** Drops entries whose layer no longer exists (or all of them); returns how many. */
  prune(exists: (digest: Digest) => boolean, all = false): number {
    const rows = this.db.prepare('SELECT key, layer FROM build_cache').all() as { key: string; layer: string }[];
    let n = 0;
    for (const r of rows) {
      if (all || !exists((JSON.parse(r.layer) as Descriptor).digest as Digest)) {
        this.db.prepare('DELETE FROM build_cache WHERE key = ?').run(r.key);
        n++;
      }
    }
    return n;
  }
}
