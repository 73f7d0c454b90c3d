import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../lib/index.ts';
import { contentStoreConformance } from './content-store.conformance.ts';
import { LocalContentStore, MemoryLabelStore, contentRoot, writeBlob } from './index.ts';

// With labels in memory here; src/images/content-wiring.test.ts runs the same suite with labels
// in the metadata database (content may not import metadata).
contentStoreConformance('LocalContentStore', async (t) => {
  const dataRoot = await mkdtemp(join(tmpdir(), 'berth-content-'));
  t.after(() => rm(dataRoot, { recursive: true, force: true }));
  const labels = new MemoryLabelStore();
  const make = () => new LocalContentStore(contentRoot(dataRoot), { labels });
  return { store: make(), reopen: make };
});

test('LocalContentStore keeps blobs at content/blobs/sha256/<hex>, read-only, ingests cleaned up', async (t) => {
  const dataRoot = await mkdtemp(join(tmpdir(), 'berth-content-'));
  t.after(() => rm(dataRoot, { recursive: true, force: true }));
  const store = new LocalContentStore(contentRoot(dataRoot));
  const desc = await writeBlob(store, 'layout', { labels: { a: 'b' } });
  const path = join(dataRoot, 'content', 'blobs', 'sha256', desc.digest.slice(7));
  assert.equal(store.blobPath(desc.digest), path);
  assert.equal((await stat(path)).mode & 0o777, 0o444);
  assert.deepEqual(await readdir(join(dataRoot, 'content', 'ingest')), []);
  assert.deepEqual((await store.info(desc.digest)).labels, { a: 'b' });
});

test('LocalContentStore walk ignores stray files and pruneIngests removes half-created ingest dirs', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'berth-content-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = new LocalContentStore(root);
  await writeBlob(store, 'x');
  await writeFile(join(root, 'blobs', 'sha256', '.tmp-stray'), 'junk');
  await mkdir(join(root, 'ingest', 'deadbeef'), { recursive: true });
  const seen: string[] = [];
  await store.walk((i) => {
    seen.push(i.digest);
  });
  assert.deepEqual(seen, [sha256('x')]);
  assert.deepEqual(await store.listStatuses(), []);
  assert.deepEqual(await store.pruneIngests({ olderThan: new Date(Date.now() + 1000) }), ['deadbeef']);
  assert.deepEqual(await readdir(join(root, 'ingest')), []);
});
