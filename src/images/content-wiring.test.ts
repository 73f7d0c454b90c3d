import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore, SqliteLabelStore, contentRoot, writeBlob } from '../content/index.ts';
import { contentStoreConformance } from '../content/content-store.conformance.ts';
import { metadataDbPath, migrate, openMetadataDb, schemaVersion } from '../metadata/index.ts';

// The content conformance suite once more, with labels in the real metadata database, as the
// daemon wires it (content may not import metadata, images may import both).
contentStoreConformance('LocalContentStore+SqliteLabelStore', async (t) => {
  const dataRoot = await mkdtemp(join(tmpdir(), 'berth-images-content-'));
  const db = openMetadataDb(metadataDbPath(dataRoot));
  t.after(async () => {
    db.close();
    await rm(dataRoot, { recursive: true, force: true });
  });
  const make = () => new LocalContentStore(contentRoot(dataRoot), { labels: new SqliteLabelStore(db, { migrate }) });
  return { store: make(), reopen: make };
});

test('SqliteLabelStore keeps content labels in metadata.db across a reopen', async (t) => {
  const dataRoot = await mkdtemp(join(tmpdir(), 'berth-images-content-'));
  t.after(() => rm(dataRoot, { recursive: true, force: true }));
  let db = openMetadataDb(metadataDbPath(dataRoot));
  const store = new LocalContentStore(contentRoot(dataRoot), { labels: new SqliteLabelStore(db, { migrate }) });
  const d = await writeBlob(store, 'labelled', { labels: { 'berth.io/uncompressed': 'sha256:' + 'b'.repeat(64) } });
  assert.equal(schemaVersion(db, 'content'), 1);
  db.close();
  db = openMetadataDb(metadataDbPath(dataRoot));
  t.after(() => db.close());
  const again = new LocalContentStore(contentRoot(dataRoot), { labels: new SqliteLabelStore(db, { migrate }) });
  assert.deepEqual((await again.info(d.digest)).labels, { 'berth.io/uncompressed': 'sha256:' + 'b'.repeat(64) });
  await again.delete(d.digest);
  assert.equal(db.prepare('SELECT count(*) AS n FROM content_labels').get() && (db.prepare('SELECT count(*) AS n FROM content_labels').get() as { n: number }).n, 0);
});
