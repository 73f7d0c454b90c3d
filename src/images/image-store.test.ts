import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlreadyExists, isNotFound, sha256 } from '../lib/index.ts';
import { metadataDbPath, openMetadataDb } from '../metadata/index.ts';
import { ImageStore } from './image-store.ts';
import { LeaseManager } from './leases.ts';
import { MediaTypes } from './media-types.ts';

const target = (s: string) => ({ mediaType: MediaTypes.ociManifest, digest: sha256(s), size: s.length });

test('ImageStore creates, gets, lists, updates and deletes records that survive a reopen', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'berth-images-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  let db = openMetadataDb(metadataDbPath(root));
  let store = new ImageStore(db);
  const a = store.create({ name: 'docker.io/library/busybox:latest', target: target('a'), labels: { x: '1' } });
  assert.equal(a.name, 'docker.io/library/busybox:latest');
  assert.deepEqual(a.target, target('a'));
  assert.ok(a.createdAt instanceof Date);
  assert.throws(() => store.create({ name: a.name, target: target('b') }), (e) => isAlreadyExists(e));
  store.create({ name: 'docker.io/library/alpine:3', target: target('a') });
  store.create({ name: 'docker.io/library/zed:1', target: target('z') });
  assert.deepEqual(store.list().map((r) => r.name), ['docker.io/library/alpine:3', 'docker.io/library/busybox:latest', 'docker.io/library/zed:1']);
  assert.deepEqual(store.list({ targetDigest: sha256('a') }).map((r) => r.name), ['docker.io/library/alpine:3', 'docker.io/library/busybox:latest']);
  await sleep(5);
  const u = store.update({ name: a.name, target: target('b'), labels: { y: '2' } }, ['labels.y']);
  assert.deepEqual(u.target, target('a'), 'target untouched by a label fieldpath');
  assert.deepEqual(u.labels, { x: '1', y: '2' });
  assert.ok(u.updatedAt > a.updatedAt);
  const u2 = store.update({ name: a.name, target: target('b') });
  assert.deepEqual(u2.target, target('b'));
  assert.deepEqual(u2.labels, {});
  assert.throws(() => store.update({ name: 'nope', target: target('b') }), (e) => isNotFound(e));
  assert.throws(() => store.create({ name: 'x', target: { digest: 'sha256:1' } as never }), /target must be a descriptor/);
  const { previous } = store.put({ name: 'docker.io/library/zed:1', target: target('zz') });
  assert.deepEqual(previous?.target, target('z'));
  db.close();

  db = openMetadataDb(metadataDbPath(root));
  t.after(() => db.close());
  store = new ImageStore(db);
  assert.deepEqual(store.get('docker.io/library/zed:1').target, target('zz'));
  store.delete('docker.io/library/zed:1');
  assert.throws(() => store.delete('docker.io/library/zed:1'), (e) => isNotFound(e));
  assert.throws(() => store.get('docker.io/library/zed:1'), (e) => isNotFound(e));
  assert.equal(store.find('docker.io/library/zed:1'), undefined);
});

test('LeaseManager tracks resources of live leases and drops expired ones', async (t) => {
  const db = openMetadataDb(':memory:');
  t.after(() => db.close());
  const leases = new LeaseManager(db);
  const pull = leases.create({ id: 'pull-1', labels: { ref: 'busybox' } });
  assert.throws(() => leases.create({ id: 'pull-1' }), (e) => isAlreadyExists(e));
  await leases.addResource(pull.id, { type: 'content', id: sha256('m') });
  await leases.addResource(pull.id, { type: 'content', id: sha256('m') });
  await leases.addResource(pull.id, { type: 'ingest', id: 'ingest-1' });
  const old = leases.create({ expiresInMs: -1 });
  await leases.addResource(old.id, { type: 'snapshot', id: 'snap-old' });
  await assert.rejects(leases.addResource('missing', { type: 'content', id: 'x' }), (e) => isNotFound(e));
  await assert.rejects(leases.addResource(pull.id, { type: 'bogus' as never, id: 'x' }), /unknown resource type/);
  assert.deepEqual(leases.listResources(pull.id), [
    { type: 'content', id: sha256('m') },
    { type: 'ingest', id: 'ingest-1' },
  ]);
  const active = leases.activeResources();
  assert.deepEqual([...active.content], [sha256('m')]);
  assert.deepEqual([...active.ingests], ['ingest-1']);
  assert.deepEqual([...active.snapshots], [], 'an expired lease holds nothing');
  assert.deepEqual(leases.deleteExpired(), [old.id]);
  assert.deepEqual(leases.list().map((l) => l.id), ['pull-1']);
  leases.deleteResource(pull.id, { type: 'ingest', id: 'ingest-1' });
  assert.equal(leases.listResources(pull.id).length, 1);
  const seen = await leases.withLease(async (l) => {
    await leases.addResource(l.id, { type: 'content', id: sha256('x') });
    return l.id;
  });
  assert.equal(leases.list().some((l) => l.id === seen), false, 'withLease deletes its lease');
  await assert.rejects(leases.withLease(async () => {
    throw new Error('pull failed');
  }), /pull failed/);
  assert.deepEqual(leases.list().map((l) => l.id), ['pull-1']);
  leases.delete('pull-1');
  assert.deepEqual(leases.listResources('pull-1'), [], 'resources go with their lease');
});

test('LeaseManager addResource waits while a collection holds the leases', async (t) => {
  const db = openMetadataDb(':memory:');
  t.after(() => db.close());
  const leases = new LeaseManager(db);
  const l = leases.create();
  const release = leases.holdForCollection();
  let added = false;
  const p = leases.addResource(l.id, { type: 'content', id: sha256('late') }).then(() => (added = true));
  await sleep(30);
  assert.equal(added, false);
  assert.deepEqual(leases.listResources(l.id), []);
  release();
  await p;
  assert.deepEqual(leases.listResources(l.id), [{ type: 'content', id: sha256('late') }]);
  // Two holds in a row: the resource waits for both.
  const r1 = leases.holdForCollection();
  const r2 = leases.holdForCollection();
  let second = false;
  const q = leases.addResource(l.id, { type: 'snapshot', id: 's' }).then(() => (second = true));
  r1();
  await sleep(10);
  assert.equal(second, false);
  r2();
  await q;
  assert.equal(second, true);
});
