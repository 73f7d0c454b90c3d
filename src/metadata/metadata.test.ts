import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFailedPrecondition } from '../lib/index.ts';
import { metadataDbPath, migrate, openMetadataDb, schemaVersion, withTransaction } from './index.ts';

async function tempRoot(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-metadata-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('openMetadataDb enables WAL, foreign keys and a busy timeout', async (t) => {
  const root = await tempRoot(t);
  const db = openMetadataDb(metadataDbPath(join(root, 'nested')));
  t.after(() => db.close());
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
  assert.equal(db.name, join(root, 'nested', 'metadata.db'));
});

test('migrate applies only new migrations per component and keeps versions apart', async (t) => {
  const root = await tempRoot(t);
  const path = metadataDbPath(root);
  let db = openMetadataDb(path);
  const images = ['CREATE TABLE images (name TEXT PRIMARY KEY)'];
  assert.equal(migrate(db, 'images', images), 1);
  assert.equal(migrate(db, 'images', images), 1, 'idempotent');
  assert.equal(migrate(db, 'volumes', ['CREATE TABLE volumes (name TEXT PRIMARY KEY)']), 1);
  db.prepare('INSERT INTO images (name) VALUES (?)').run('a');
  db.close();

  db = openMetadataDb(path);
  t.after(() => db.close());
  const v2 = [...images, 'ALTER TABLE images ADD COLUMN created TEXT'];
  assert.equal(migrate(db, 'images', v2), 2);
  assert.equal(schemaVersion(db, 'images'), 2);
  assert.equal(schemaVersion(db, 'volumes'), 1);
  assert.equal(schemaVersion(db, 'networks'), 0);
  const row = db.prepare('SELECT name, created FROM images').get() as { name: string; created: string | null };
  assert.deepEqual({ ...row }, { name: 'a', created: null });
});

test('migrate rolls back a failing migration and keeps the previous version', async (t) => {
  const db = openMetadataDb(':memory:');
  t.after(() => db.close());
  migrate(db, 'things', ['CREATE TABLE things (id INTEGER)']);
  assert.throws(
    () => migrate(db, 'things', ['CREATE TABLE things (id INTEGER)', 'CREATE TABLE other (x); SELECT * FROM nope']),
    /migrate "things" to version 2/,
  );
  assert.equal(schemaVersion(db, 'things'), 1);
  const other = db.prepare("SELECT name FROM sqlite_master WHERE name = 'other'").get();
  assert.equal(other, undefined, 'partial migration rolled back');
});

test('migrate refuses a database newer than the code', async (t) => {
  const db = openMetadataDb(':memory:');
  t.after(() => db.close());
  migrate(db, 'c', ['CREATE TABLE a (x)', 'CREATE TABLE b (x)']);
  assert.throws(() => migrate(db, 'c', ['CREATE TABLE a (x)']), (err) => isFailedPrecondition(err));
  assert.throws(() => migrate(db, 'Bad Name', []), /invalid component name/);
});

test('withTransaction commits on return, rolls back on throw, nests as savepoints', async (t) => {
  const db = openMetadataDb(':memory:');
  t.after(() => db.close());
  migrate(db, 'kv', ['CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)']);
  const put = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
  const n = withTransaction(db, () => {
    put.run('a', '1');
    try {
      withTransaction(db, () => {
        put.run('b', '2');
        throw new Error('inner fails');
      });
    } catch {
      // the inner savepoint is rolled back, the outer transaction continues
    }
    return 7;
  });
  assert.equal(n, 7);
  assert.throws(() =>
    withTransaction(db, () => {
      put.run('c', '3');
      throw new Error('boom');
    }),
  );
  const keys = (db.prepare('SELECT k FROM kv ORDER BY k').all() as { k: string }[]).map((r) => r.k);
  assert.deepEqual(keys, ['a']);
});

test('openMetadataDb lets two connections share one file with foreign keys enforced', async (t) => {
  const root = await tempRoot(t);
  const a = openMetadataDb(metadataDbPath(root));
  const b = openMetadataDb(metadataDbPath(root));
  t.after(() => {
    a.close();
    b.close();
  });
  migrate(a, 'fk', [
    'CREATE TABLE parent (id TEXT PRIMARY KEY); CREATE TABLE child (id TEXT, parent TEXT NOT NULL REFERENCES parent(id))',
  ]);
  assert.equal(migrate(b, 'fk', ['CREATE TABLE parent (id TEXT PRIMARY KEY); CREATE TABLE child (id TEXT, parent TEXT NOT NULL REFERENCES parent(id))']), 1);
  assert.throws(() => b.prepare("INSERT INTO child VALUES ('c', 'missing')").run(), /FOREIGN KEY/);
  a.prepare("INSERT INTO parent VALUES ('p')").run();
  b.prepare("INSERT INTO child VALUES ('c', 'p')").run();
  assert.equal((a.prepare('SELECT count(*) AS n FROM child').get() as { n: number }).n, 1);
});

test('openMetadataDb compiles each statement text once and the shared statement keeps working', () => {
  const db = openMetadataDb(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  const ins = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  assert.equal(db.prepare('INSERT INTO t (k, v) VALUES (?, ?)'), ins);
  for (let i = 0; i < 5; i++) db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(`k${i}`, i);
  assert.throws(() => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('k0', 9), /UNIQUE/);
  assert.deepEqual(db.prepare('SELECT v FROM t WHERE k = ?').get('k3'), { v: 3 });
  assert.notEqual(db.prepare('SELECT v FROM t WHERE k = ?'), ins);
  assert.throws(() => db.prepare('SELECT * FROM missing'), /no such table/);
  db.exec('CREATE TABLE missing (x)');
  assert.deepEqual(db.prepare('SELECT * FROM missing').all(), []);
  db.close();
});
