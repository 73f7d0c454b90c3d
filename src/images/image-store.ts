import { alreadyExists, invalidArgument, notFound } from '../lib/index.ts';
import { migrate, withTransaction, type MetadataDb } from '../metadata/index.ts';
import type { Descriptor } from './types.ts';

/**
 * Image records (containerd's image store): a name → the descriptor of its manifest or index
 * (the *target*), plus labels and times. The name is the full normalized reference
 * (`docker.io/library/busybox:latest`, `ghcr.io/x/y@sha256:…`), or `berth-dangling@<digest>` for
 * an image that lost its last tag but is kept (docker's `<none>:<none>`). Content and snapshots
 * stay alive as long as a record's target references them (see gc.ts).
 */
export interface ImageRecord {
  name: string;
  target: Descriptor;
  labels: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export const danglingPrefix = 'berth-dangling@';

export function danglingName(targetDigest: string): string {
  return `${danglingPrefix}${targetDigest}`;
}

export function isDanglingName(name: string): boolean {
  return name.startsWith(danglingPrefix);
}

const migrations = [
  `CREATE TABLE images (
    name TEXT PRIMARY KEY,
    target_digest TEXT NOT NULL,
    target TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX images_by_target ON images (target_digest);`,
];

interface Row {
  name: string;
  target: string;
  labels: string;
  created_at: string;
  updated_at: string;
}

function fromRow(r: Row): ImageRecord {
  return {
    name: r.name,
    target: JSON.parse(r.target) as Descriptor,
    labels: JSON.parse(r.labels) as Record<string, string>,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export interface NewImageRecord {
  name: string;
  target: Descriptor;
  labels?: Record<string, string>;
}

/** Image records in the metadata database (component "images"). Synchronous: SQLite is. */
export class ImageStore {
  readonly db: MetadataDb;

  constructor(db: MetadataDb) {
    this.db = db;
    migrate(db, 'images', migrations);
  }

  get(name: string): ImageRecord {
    const r = this.db.prepare('SELECT * FROM images WHERE name = ?').get(name) as Row | undefined;
    if (!r) throw notFound(`image ${JSON.stringify(name)}: not found`);
    return fromRow(r);
  }

  find(name: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE name = ?').get(name) as Row | undefined;
    return r && fromRow(r);
  }

  /** All records, or those whose target is `targetDigest`; ordered by name. */
  list(filter: { targetDigest?: string } = {}): ImageRecord[] {
    const rows = (filter.targetDigest
      ? this.db.prepare('SELECT * FROM images WHERE target_digest = ? ORDER BY name').all(filter.targetDigest)
      : this.db.prepare('SELECT * FROM images ORDER BY name').all()) as Row[];
    return rows.map(fromRow);
  }

  create(rec: NewImageRecord): ImageRecord {
    validate(rec);
    const now = new Date().toISOString();
    try {
      this.db
        .prepare('INSERT INTO images (name, target_digest, target, labels, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(rec.name, rec.target.digest, JSON.stringify(rec.target), JSON.stringify(rec.labels ?? {}), now, now);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw alreadyExists(`image ${JSON.stringify(rec.name)}: already exists`);
      throw err;
    }
    return this.get(rec.name);
  }

  /**
   * Changes a record. Without fieldpaths the target and labels are replaced; with fieldpaths
   * (`target`, `labels`, `labels.<key>`) only those change.
   */
  update(rec: NewImageRecord, fieldpaths?: readonly string[]): ImageRecord {
    return withTransaction(this.db, () => {
      const cur = this.get(rec.name);
      let target = cur.target;
      let labels = { ...cur.labels };
      if (!fieldpaths || fieldpaths.length === 0) {
        target = rec.target;
        labels = { ...(rec.labels ?? {}) };
      } else {
        for (const fp of fieldpaths) {
          if (fp === 'target') target = rec.target;
          else if (fp === 'labels') labels = { ...(rec.labels ?? {}) };
          else if (fp.startsWith('labels.')) {
            const k = fp.slice(7);
            const v = rec.labels?.[k];
            if (v === undefined) delete labels[k];
            else labels[k] = v;
          } else throw invalidArgument(`update image ${JSON.stringify(rec.name)}: cannot update ${JSON.stringify(fp)}`);
        }
      }
      validate({ name: rec.name, target, labels });
      this.db
        .prepare('UPDATE images SET target_digest = ?, target = ?, labels = ?, updated_at = ? WHERE name = ?')
        .run(target.digest, JSON.stringify(target), JSON.stringify(labels), new Date().toISOString(), rec.name);
      return this.get(rec.name);
    });
  }

  /** Creates or replaces the record; returns the previous one, if any. */
  put(rec: NewImageRecord): { record: ImageRecord; previous?: ImageRecord } {
    return withTransaction(this.db, () => {
      const previous = this.find(rec.name);
      if (!previous) return { record: this.create(rec) };
      return { record: this.update(rec), previous };
    });
  }

  delete(name: string): void {
    const r = this.db.prepare('DELETE FROM images WHERE name = ?').run(name);
    if (r.changes === 0) throw notFound(`image ${JSON.stringify(name)}: not found`);
  }
}

function validate(rec: NewImageRecord): void {
  if (!rec.name) throw invalidArgument('image record: name must not be empty');
  const t = rec.target as Partial<Descriptor> | undefined;
  if (!t || typeof t.mediaType !== 'string' || typeof t.digest !== 'string' || typeof t.size !== 'number') {
    throw invalidArgument(`image ${JSON.stringify(rec.name)}: target must be a descriptor with mediaType, digest and size`);
  }
}
