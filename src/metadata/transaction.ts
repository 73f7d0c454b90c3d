import type { MetadataDb } from './open-db.ts';

/**
 * Runs `fn` inside one write transaction (BEGIN IMMEDIATE, so the write lock is taken up front and
 * a concurrent writer waits on the busy timeout instead of failing mid-way). Commits when `fn`
 * returns, rolls back when it throws. Nested calls become savepoints. `fn` must be synchronous:
 * better-sqlite3 transactions cannot span an await.
 */
export function withTransaction<T>(db: MetadataDb, fn: () => T): T {
  const tx = db.transaction(fn);
  return db.inTransaction ? tx() : tx.immediate();
}
