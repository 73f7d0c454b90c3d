import type Database from 'better-sqlite3';
import { invalidArgument, type Digest } from '../lib/index.ts';
import type { Labels } from './types.ts';

/**
 * Where the content store keeps blob labels (the only mutable part of a blob). Labels such as
 * `containerd.io/gc.ref.content.<name>` link a blob to the blobs it references, for GC, and
 * `berth.io/uncompressed` records a layer's diffID.
 */
export interface LabelStore {
  get(digest: Digest): { labels: Labels; updatedAt: Date } | undefined;
  set(digest: Digest, labels: Labels): Date;
  delete(digest: Digest): void;
  /** Every labelled digest. */
  all(): Map<Digest, Labels>;
}

/** Keys and values above this many bytes together are refused, as containerd does. */
export const maxLabelSize = 4096;

export function validateLabels(labels: Labels): void {
  for (const [k, v] of Object.entries(labels)) {
    if (k.length === 0) throw invalidArgument('invalid label: empty key');
    if (typeof v !== 'string') throw invalidArgument(`invalid label ${JSON.stringify(k)}: value must be a string`);
    if (Buffer.byteLength(k) + Buffer.byteLength(v) > maxLabelSize) {
      throw invalidArgument(`invalid label ${JSON.stringify(k)}: key and value exceed ${maxLabelSize} bytes`);
    }
  }
}

/** Labels in memory, for tests and throwaway stores. */
export class MemoryLabelStore implements LabelStore {
  private readonly map = new Map<Digest, { labels: Labels; updatedAt: Date }>();

  get(digest: Digest) {
    const e = this.map.get(digest);
    return e && { labels: { ...e.labels }, updatedAt: e.updatedAt };
  }

  set(digest: Digest, labels: Labels): Date {
    const updatedAt = new Date();
    if (Object.keys(labels).length === 0) this.map.delete(digest);
    else this.map.set(digest, { labels: { ...labels }, updatedAt });
    return updatedAt;
  }

  delete(digest: Digest): void {
    this.map.delete(digest);
  }

  all(): Map<Digest, Labels> {
    return new Map([...this.map].map(([d, e]) => [d, { ...e.labels }]));
  }
}

/** The metadata package's migrate(db, component, migrations), injected (content imports only lib). */
export type MigrateFn = (db: Database.Database, component: string, migrations: readonly string[]) => number;

const migrations = [
  `CREATE TABLE content_labels (
    digest TEXT PRIMARY KEY,
    labels TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
];

/** Labels in the metadata database (`content_labels`, component "content"). */
export class SqliteLabelStore implements LabelStore {
  private readonly db: Database.Database;

  constructor(db: Database.Database, options: { migrate: MigrateFn }) {
    this.db = db;
    options.migrate(db, 'content', migrations);
  }

  get(digest: Digest) {
    const row = this.db.prepare('SELECT labels, updated_at FROM content_labels WHERE digest = ?').get(digest) as
      | { labels: string; updated_at: string }
      | undefined;
    return row && { labels: JSON.parse(row.labels) as Labels, updatedAt: new Date(row.updated_at) };
  }

  set(digest: Digest, labels: Labels): Date {
    const now = new Date();
    if (Object.keys(labels).length === 0) {
      this.delete(digest);
      return now;
    }
    this.db
      .prepare(
        `INSERT INTO content_labels (digest, labels, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(digest) DO UPDATE SET labels = excluded.labels, updated_at = excluded.updated_at`,
      )
      .run(digest, JSON.stringify(labels), now.toISOString());
    return now;
  }

  delete(digest: Digest): void {
    this.db.prepare('DELETE FROM content_labels WHERE digest = ?').run(digest);
  }

  all(): Map<Digest, Labels> {
    const rows = this.db.prepare('SELECT digest, labels FROM content_labels').all() as { digest: Digest; labels: string }[];
    return new Map(rows.map((r) => [r.digest, JSON.parse(r.labels) as Labels]));
  }
}
