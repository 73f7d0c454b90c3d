import { alreadyExists, notFound, wrap } from '../lib/index.ts';
import { migrate, type MetadataDb } from '../metadata/index.ts';
import type { Volume } from './types.ts';

const migrations = [
  `CREATE TABLE volumes (
    name TEXT PRIMARY KEY,
    driver TEXT NOT NULL,
    mountpoint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    labels TEXT NOT NULL,
    options TEXT NOT NULL,
    anonymous INTEGER NOT NULL DEFAULT 0
  )`,
];

interface Row {
  name: string;
  driver: string;
  mountpoint: string;
  created_at: string;
  labels: string;
  options: string;
  anonymous: number;
}

function fromRow(r: Row): Volume {
  return {
    name: r.name,
    driver: r.driver,
    mountpoint: r.mountpoint,
    createdAt: r.created_at,
    labels: JSON.parse(r.labels) as Record<string, string>,
    options: JSON.parse(r.options) as Record<string, string>,
    anonymous: r.anonymous === 1,
  };
}

/** Volume records in the metadata database (table `volumes`, component "volumes"). */
export class VolumeStore {
  constructor(private readonly db: MetadataDb) {
    migrate(db, 'volumes', migrations);
  }

  insert(v: Volume): void {
    try {
      this.db
        .prepare(
          'INSERT INTO volumes (name, driver, mountpoint, created_at, labels, options, anonymous) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(v.name, v.driver, v.mountpoint, v.createdAt, JSON.stringify(v.labels), JSON.stringify(v.options), v.anonymous ? 1 : 0);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw alreadyExists(`volume ${JSON.stringify(v.name)} already exists`);
      throw wrap(err, `save volume ${JSON.stringify(v.name)}`);
    }
  }

  find(name: string): Volume | undefined {
    const r = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  get(name: string): Volume {
    const v = this.find(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  list(): Volume[] {
    return (this.db.prepare('SELECT * FROM volumes ORDER BY name').all() as Row[]).map(fromRow);
  }

  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name).changes > 0;
  }
}
