import { failedPrecondition, invalidArgument, wrap } from '../lib/index.ts';
import type { MetadataDb } from './open-db.ts';

/**
 * Each component (images, content, containers, networks, volumes, snapshots, leases ...) owns its
 * own tables and evolves them with an append-only list of SQL migrations. The number of applied
 * migrations is kept per component in `schema_versions`, so components migrate independently.
 * Never edit or reorder a migration that has shipped; append a new one.
 */
export type Migrate = (db: MetadataDb, component: string, migrations: readonly string[]) => number;

const componentRe = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * Applies the migrations of `component` that are not yet applied, each in its own transaction
 * together with the version bump, and returns the resulting version. A database whose version
 * is ahead of the code (written by a newer Berth) is refused rather than misread.
 */
export const migrate: Migrate = (db, component, migrations) => {
  if (!componentRe.test(component)) throw invalidArgument(`migrate: invalid component name ${JSON.stringify(component)}`);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_versions (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  )`);
  const read = () =>
    (db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined)
      ?.version ?? 0;
  const current = read();
  if (current > migrations.length) {
    throw failedPrecondition(
      `migrate ${JSON.stringify(component)}: database schema version ${current} is newer than this berth (${migrations.length})`,
    );
  }
  for (let i = current; i < migrations.length; i++) {
    const step = db.transaction(() => {
      // Another process may have migrated meanwhile; re-check inside the write transaction.
      if (read() > i) return;
      db.exec(migrations[i]!);
      db.prepare(
        `INSERT INTO schema_versions (component, version, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(component) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      ).run(component, i + 1, new Date().toISOString());
    });
    try {
      step.immediate();
    } catch (err) {
      throw wrap(err, `migrate ${JSON.stringify(component)} to version ${i + 1}`);
    }
  }
  return read();
};

/** The applied schema version of `component` (0 when it has none yet). */
export function schemaVersion(db: MetadataDb, component: string): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'").get();
  if (!exists) return 0;
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
    | { version: number }
    | undefined;
  return row?.version ?? 0;
}
