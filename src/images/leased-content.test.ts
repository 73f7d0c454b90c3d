import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../lib/index.ts';
import { LocalContentStore, SqliteLabelStore, contentRoot, writeBlob, writeStream } from '../content/index.ts';
import { contentStoreConformance } from '../content/content-store.conformance.ts';
import { metadataDbPath, migrate, openMetadataDb } from '../metadata/index.ts';
import { GarbageCollector } from './gc.ts';
import { ImageStore } from './image-store.ts';
import { leasedContent } from './leased-content.ts';
import { LeaseManager } from './leases.ts';

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'berth-images-leased-'));
  const db = openMetadataDb(metadataDbPath(root));
  t.after(async () => {
    db.close();
    await rm(root, { recursive: true, force: true });
  });
  const content = new LocalContentStore(contentRoot(root), { labels: new SqliteLabelStore(db, { migrate }) });
  const leases = new LeaseManager(db);
  const images = new ImageStore(db);
  return { root, db, content, leases, images };
}

// The leased view must behave exactly like the store it wraps.
contentStoreConformance('leasedContent', async (t) => {
  const { content, leases } = await setup(t);
  const lease = leases.create();
  return { store: leasedContent(content, leases, lease.id), reopen: () => leasedContent(content, leases, lease.id) };
});

test('leasedContent keeps what a lease-unaware pull touched until the lease goes', async (t) => {
  const { db, content, leases, images } = await setup(t);
  const gc = new GarbageCollector({ db, content, images, leases });
  const left = await writeBlob(content, 'left over from a removed image');
  const stray = await writeBlob(content, 'not touched');
  const lease = leases.create({ expiresInMs: 60_000 });
  const view = leasedContent(content, leases, lease.id);
  assert.equal(await view.exists(left.digest), true, 'the pull finds it already there');
  const fresh = await writeBlob(view, 'downloaded');
  const unknown = await writeStream(view, 'no-expectation', [Buffer.from('streamed without a digest')]);
  const r = await gc.collect();
  assert.deepEqual(r.removedContent, [stray.digest]);
  for (const d of [left.digest, fresh.digest, unknown.digest]) assert.equal(await content.exists(d), true);
  assert.deepEqual(
    leases.listResources(lease.id).filter((x) => x.type === 'content').map((x) => x.id).sort(),
    [left.digest, fresh.digest, unknown.digest, sha256('downloaded')].filter((v, i, a) => a.indexOf(v) === i).sort(),
  );
  assert.ok(leases.listResources(lease.id).some((x) => x.type === 'ingest' && x.id === 'no-expectation'));
  leases.delete(lease.id);
  const r2 = await gc.collect();
  assert.deepEqual(new Set(r2.removedContent), new Set([left.digest, fresh.digest, unknown.digest]));
});
