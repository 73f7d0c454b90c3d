import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { wrap } from '../lib/index.ts';

/** The handle every component's store is built on: one better-sqlite3 connection. */
export type MetadataDb = Database.Database;

export interface OpenMetadataDbOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY (ms). Default 5000. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/** `<data-root>/metadata.db`: the one SQLite file all components keep their records in. */
export function metadataDbPath(dataRoot: string): string {
  return join(dataRoot, 'metadata.db');
}

/**
 * Opens (creating if needed) the metadata database at `path` with the settings every component
 * relies on: WAL journal (readers never block the writer), synchronous=NORMAL (durable at each
 * checkpoint, never corrupt), foreign keys enforced, and a busy timeout so two processes sharing
 * a data root wait for each other instead of failing. Use ':memory:' for a private in-memory db.
 */
export function openMetadataDb(path: string, options: OpenMetadataDbOptions = {}): MetadataDb {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { readonly: options.readonly ?? false });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    cacheStatements(db);
    return db;
  } catch (err) {
    throw wrap(err, `open metadata db ${JSON.stringify(path)}`);
  }
}

/**
 * Makes `db.prepare` compile each SQL text once: the stores prepare at every call, and compiling
 * cost more than running most of their statements (a container's create, start and removal
 * prepared a dozen). No store changes a statement's mode (pluck, raw, expand), so one shared
 * statement per text is safe; the texts are fixed, so the cache stays small.
 */
function cacheStatements(db: MetadataDb): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = compile(sql)));
    return stmt;
  }) as MetadataDb['prepare'];
}
