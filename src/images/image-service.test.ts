import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConflict, isInvalidArgument, isNotFound, sha256 } from '../lib/index.ts';
import { LocalContentStore, SqliteLabelStore, contentRoot } from '../content/index.ts';
import { metadataDbPath, migrate, openMetadataDb } from '../metadata/index.ts';
import { ImageService, type ImageUse } from './image-service.ts';
import { ImageStore } from './image-store.ts';
import { chainIds } from './rootfs.ts';
import { makeTestImage, randomLayer } from './testdata/make-image.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };

async function setup(t: TestContext) {
  const root = await mkdtemp(join(tmpdir(), 'berth-images-svc-'));
  const db = openMetadataDb(metadataDbPath(root));
  t.after(async () => {
    db.close();
    await rm(root, { recursive: true, force: true });
  });
  const content = new LocalContentStore(contentRoot(root), { labels: new SqliteLabelStore(db, { migrate }) });
  const images = new ImageStore(db);
  const inUse = new Map<string, ImageUse>();
  const unpacked = new Map<string, number>();
  let collected = 0;
  const svc = new ImageService({
    images,
    content,
    platform: amd64,
    layerSize: (c) => unpacked.get(c),
    isImageInUse: (id) => inUse.get(id),
    containerCount: (id) => (inUse.has(id) ? 1 : 0),
    collect: async () => {
      collected++;
      return { reclaimedBytes: 4242 };
    },
  });
  return { content, images, svc, inUse, unpacked, collected: () => collected };
}

test('ImageService list shows tags, digests, sizes and created time; unpacked sizes win over blob sizes', async (t) => {
  const { content, svc, unpacked } = await setup(t);
  const img = await makeTestImage(content, { platforms: [amd64], layers: [randomLayer(1000), randomLayer(3000)], labels: { team: 'a' } });
  svc.createImage('busybox', img.target);
  svc.createImage('localhost:5000/tools/bb:v1', img.target);
  let list = await svc.list();
  assert.equal(list.length, 1);
  const s = list[0]!;
  assert.equal(s.Id, img.config.digest);
  assert.deepEqual(s.RepoTags, ['busybox:latest', 'localhost:5000/tools/bb:v1']);
  assert.deepEqual(s.RepoDigests, [`busybox@${img.target.digest}`, `localhost:5000/tools/bb@${img.target.digest}`]);
  assert.equal(s.Created, Date.parse('2024-05-06T07:08:09Z') / 1000);
  assert.equal(s.Size, 4000);
  assert.equal(s.SharedSize, -1);
  assert.equal(s.Containers, -1);
  assert.deepEqual(s.Labels, { team: 'a' });
  const chain = chainIds(img.diffIds);
  unpacked.set(chain[0]!, 5000);
  unpacked.set(chain[1]!, 7000);
  list = await svc.list();
  assert.equal(list[0]!.Size, 12000);
});

test('ImageService resolve finds images by name, digest, full ID and unique ID prefix, as docker does', async (t) => {
  const { content, svc } = await setup(t);
  const a = await makeTestImage(content);
  const b = await makeTestImage(content);
  svc.createImage('docker.io/library/app:1', a.target);
  svc.createImage(`ghcr.io/x/y@${b.target.digest}`, b.target);
  assert.equal((await svc.resolve('app:1')).id, a.config.digest);
  assert.equal((await svc.resolve('docker.io/library/app:1')).matched?.name, 'docker.io/library/app:1');
  assert.equal((await svc.resolve(a.config.digest)).id, a.config.digest);
  assert.equal((await svc.resolve(a.config.digest.slice(7))).id, a.config.digest);
  assert.equal((await svc.resolve(a.config.digest.slice(7, 19))).id, a.config.digest);
  assert.equal((await svc.resolve(`ghcr.io/x/y@${b.target.digest}`)).id, b.config.digest);
  assert.equal((await svc.resolve(`app@${a.target.digest}`)).id, a.config.digest, 'repo@digest of a tagged image');
  assert.equal((await svc.resolve(a.target.digest)).id, a.config.digest, 'the manifest digest is accepted as an id');
  await assert.rejects(svc.resolve('app'), (e) => isNotFound(e) && (e as Error).message === 'No such image: app:latest');
  await assert.rejects(svc.resolve('nosuch:2'), (e) => isNotFound(e) && (e as Error).message === 'No such image: nosuch:2');
  await assert.rejects(svc.resolve('App'), (e) => isInvalidArgument(e) && /must be lowercase/.test((e as Error).message));
  await assert.rejects(svc.resolve(''), (e) => isInvalidArgument(e));
  // Force an ambiguous prefix: find the common leading hex of the two ids (maybe empty → use '').
  const common = [...a.config.digest.slice(7)].findIndex((c, i) => c !== b.config.digest[7 + i]);
  if (common > 0) await assert.rejects(svc.resolve(a.config.digest.slice(7, 7 + common)), /multiple IDs found/);
});

test('ImageService picks the configured platform from an index, skipping manifests not pulled', async (t) => {
  const { content, images } = await setup(t);
  const arm = { os: 'linux', architecture: 'arm64', variant: 'v8' };
  const img = await makeTestImage(content, { platforms: [arm, amd64], docker: true });
  images.create({ name: 'docker.io/library/multi:latest', target: img.target });
  const onArm = new ImageService({ images, content, platform: { os: 'linux', architecture: 'aarch64' } });
  const onAmd = new ImageService({ images, content, platform: amd64 });
  assert.equal((await onArm.resolve('multi')).id, img.platforms[0]!.config.digest);
  assert.equal((await onAmd.resolve('multi')).id, img.platforms[1]!.config.digest);
  const inspect = await onArm.inspect('multi');
  assert.equal(inspect.Architecture, 'arm64');
  assert.equal(inspect.Variant, 'v8');
  // Only the arm64 manifest is present: an amd64 host does not see the image.
  const partial = await makeTestImage(content, { platforms: [arm, amd64], skipPlatformsBlobs: true });
  images.create({ name: 'docker.io/library/partial:latest', target: partial.target });
  await assert.rejects(onAmd.resolve('partial'), (e) => isNotFound(e));
  assert.equal((await onArm.resolve('partial')).id, partial.platforms[0]!.config.digest);
});

test('ImageService inspect builds docker\'s ImageInspect from the config', async (t) => {
  const { content, svc } = await setup(t);
  const img = await makeTestImage(content, { labels: { a: 'b' }, cmd: ['/bin/app', '-v'] });
  svc.createImage('app:2', img.target);
  const i = await svc.inspect('app:2');
  assert.equal(i.Id, img.config.digest);
  assert.deepEqual(i.RepoTags, ['app:2']);
  assert.deepEqual(i.RepoDigests, [`app@${img.target.digest}`]);
  assert.equal(i.Created, '2024-05-06T07:08:09Z');
  assert.equal(i.Os, 'linux');
  assert.deepEqual(i.Config?.Cmd, ['/bin/app', '-v']);
  assert.deepEqual(i.Config?.Env, ['PATH=/usr/bin:/bin']);
  assert.deepEqual(i.Config?.Labels, { a: 'b' });
  assert.equal(i.Config?.Entrypoint, null);
  assert.equal(i.Config?.WorkingDir, '');
  assert.deepEqual(i.RootFS, { Type: 'layers', Layers: img.diffIds });
  assert.equal(i.Size, 3000);
  assert.equal(i.Parent, '');
  assert.deepEqual(i.Descriptor, { mediaType: img.target.mediaType, digest: img.target.digest, size: img.target.size });
  assert.ok(i.Metadata.LastTagTime);
});

test('ImageService history lists newest first with layer sizes and empty layers', async (t) => {
  const { content, svc } = await setup(t);
  const img = await makeTestImage(content, {
    layers: [randomLayer(100), randomLayer(200)],
    history: [
      { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs.tar /' },
      { created: '2024-01-02T00:00:00Z', created_by: 'ENV A=1', empty_layer: true },
      { created: '2024-01-03T00:00:00Z', created_by: 'RUN make', comment: 'buildkit' },
    ],
  });
  svc.createImage('hist', img.target);
  const h = await svc.history('hist');
  assert.deepEqual(h, [
    { Id: img.config.digest, Created: Date.parse('2024-01-03T00:00:00Z') / 1000, CreatedBy: 'RUN make', Tags: ['hist:latest'], Size: 200, Comment: 'buildkit' },
    { Id: '<missing>', Created: Date.parse('2024-01-02T00:00:00Z') / 1000, CreatedBy: 'ENV A=1', Tags: null, Size: 0, Comment: '' },
    { Id: '<missing>', Created: Date.parse('2024-01-01T00:00:00Z') / 1000, CreatedBy: 'ADD rootfs.tar /', Tags: null, Size: 100, Comment: '' },
  ]);
});

test('ImageService tag adds names, refuses digests, and a moved tag leaves the old image dangling', async (t) => {
  const { content, svc } = await setup(t);
  const old = await makeTestImage(content);
  const neu = await makeTestImage(content);
  svc.createImage('app', old.target);
  await svc.tag('app', 'registry.local:5000/team/app:v1');
  assert.deepEqual((await svc.inspect(old.config.digest)).RepoTags, ['app:latest', 'registry.local:5000/team/app:v1']);
  await assert.rejects(svc.tag('app', `app@${sha256('x')}`), /refusing to create a tag with a digest reference/);
  await assert.rejects(svc.tag('nosuch', 'x'), (e) => isNotFound(e));
  await assert.rejects(svc.tag('app', 'Bad'), (e) => isInvalidArgument(e));
  // Build a new app:latest and move the other tag too: the old image has no tag left.
  svc.createImage('app:latest', neu.target);
  svc.createImage('registry.local:5000/team/app:v1', neu.target);
  const dangling = await svc.list({ filters: { dangling: true } });
  assert.deepEqual(dangling.map((i) => [i.Id, i.RepoTags]), [[old.config.digest, []]]);
  const tagged = await svc.list({ filters: { dangling: false } });
  assert.deepEqual(tagged.map((i) => i.Id), [neu.config.digest]);
  // Tagging the dangling image again revives it.
  await svc.tag(old.config.digest, 'app:old');
  assert.deepEqual((await svc.list({ filters: { dangling: true } })).length, 0);
  assert.deepEqual((await svc.inspect('app:old')).RepoTags, ['app:old']);
});

test('ImageService remove untags, deletes and refuses as docker does', async (t) => {
  const { content, svc, inUse, images, collected } = await setup(t);
  const img = await makeTestImage(content);
  const id = img.config.digest;
  svc.createImage('one:1', img.target);
  svc.createImage('one:2', img.target);
  svc.createImage('two:1', img.target);

  // By name with other names left: untag only.
  assert.deepEqual(await svc.remove('one:2'), [{ Untagged: 'one:2' }]);
  // By ID with names in two repositories: refused without force.
  await assert.rejects(svc.remove(id.slice(7, 19)), (e) => isConflict(e) && (e as Error).message === `conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
  // A stopped container uses it: removing the last name needs force.
  assert.deepEqual(await svc.remove('two:1'), [{ Untagged: 'two:1' }]);
  inUse.set(id, { containerId: 'c0ffee0000001111', running: false });
  await assert.rejects(svc.remove('one:1'), (e) => isConflict(e) && (e as Error).message === `conflict: unable to remove repository reference "one:1" (must force) - container c0ffee000000 is using its referenced image ${id.slice(7, 19)}`);
  await assert.rejects(svc.remove(id), (e) => isConflict(e) && /\(must be forced\) - image is being used by stopped container c0ffee000000/.test((e as Error).message));
  // A running container: by ID never, even forced; by name forced only untags, the image stays dangling.
  inUse.set(id, { containerId: 'beef00000000aaaa', running: true });
  await assert.rejects(svc.remove(id, { force: true }), (e) => isConflict(e) && /\(cannot be forced\) - image is being used by running container beef00000000/.test((e as Error).message));
  assert.deepEqual(await svc.remove('one:1', { force: true }), [{ Untagged: 'one:1' }]);
  assert.deepEqual((await svc.list({ filters: { dangling: true } })).map((i) => i.Id), [id]);
  // Once the container is gone, the dangling image is deleted by ID.
  inUse.delete(id);
  const before = collected();
  assert.deepEqual(await svc.remove(id), [{ Deleted: id }]);
  assert.equal(collected(), before + 1, 'GC runs after a delete');
  assert.deepEqual(images.list(), []);
  await assert.rejects(svc.remove(id), (e) => isNotFound(e));
});

test('ImageService remove of a last tag also drops that repository\'s digest names and deletes the image', async (t) => {
  const { content, svc, images } = await setup(t);
  const img = await makeTestImage(content);
  svc.createImage('web:1', img.target);
  svc.createImage(`web@${img.target.digest}`, img.target);
  assert.deepEqual(await svc.remove('web:1'), [{ Untagged: 'web:1' }, { Untagged: `web@${img.target.digest}` }, { Deleted: img.config.digest }]);
  assert.deepEqual(images.list(), []);
  // Forced removal by ID of an image in several repositories untags them all.
  const b = await makeTestImage(content);
  svc.createImage('x:1', b.target);
  svc.createImage('y:1', b.target);
  assert.deepEqual(await svc.remove(b.config.digest, { force: true }), [{ Untagged: 'x:1' }, { Untagged: 'y:1' }, { Deleted: b.config.digest }]);
  // By ID with a single repository: names go without force.
  const c = await makeTestImage(content);
  svc.createImage('z:1', c.target);
  assert.deepEqual(await svc.remove(c.config.digest), [{ Untagged: 'z:1' }, { Deleted: c.config.digest }]);
});

test('ImageService prune removes dangling images, or all unused ones with all', async (t) => {
  const { content, svc, inUse } = await setup(t);
  const a = await makeTestImage(content);
  const b = await makeTestImage(content);
  const c = await makeTestImage(content);
  const d = await makeTestImage(content);
  svc.createImage('app', a.target);
  svc.createImage('app', b.target); // a is now dangling
  svc.createImage('used', c.target);
  svc.createImage(`pinned@${d.target.digest}`, d.target); // digest-only: not dangling
  inUse.set(c.config.digest, { containerId: 'c1', running: false });
  const r1 = await svc.prune();
  assert.deepEqual(r1.ImagesDeleted, [{ Deleted: a.config.digest }]);
  assert.equal(r1.SpaceReclaimed, 4242, 'reported by the collector');
  assert.deepEqual((await svc.prune()).ImagesDeleted, null);
  const r2 = await svc.prune({ all: true });
  assert.deepEqual(
    r2.ImagesDeleted?.map((x) => x.Deleted ?? x.Untagged).sort(),
    ['app:latest', `pinned@${d.target.digest}`, b.config.digest, d.config.digest].sort(),
  );
  assert.deepEqual((await svc.list()).map((i) => i.Id), [c.config.digest]);
  const r3 = await svc.prune({ all: true, filters: { label: ['nope'] } });
  assert.equal(r3.ImagesDeleted, null);
});

test('ImageService diskUsage and shared sizes count layers shared between images once', async (t) => {
  const { content, svc, inUse } = await setup(t);
  const base = randomLayer(1000);
  const a = await makeTestImage(content, { layers: [base, randomLayer(200)] });
  const b = await makeTestImage(content, { layers: [base, randomLayer(300)], created: '2025-01-01T00:00:00Z' });
  svc.createImage('a', a.target);
  svc.createImage('b', b.target);
  inUse.set(a.config.digest, { containerId: 'x', running: true });
  const df = await svc.diskUsage();
  assert.equal(df.LayersSize, 1500);
  const byId = new Map(df.Images.map((i) => [i.Id, i]));
  assert.equal(byId.get(a.config.digest)?.Size, 1200);
  assert.equal(byId.get(a.config.digest)?.SharedSize, 1000);
  assert.equal(byId.get(b.config.digest)?.SharedSize, 1000);
  assert.equal(byId.get(a.config.digest)?.Containers, 1);
  assert.equal(byId.get(b.config.digest)?.Containers, 0);
  assert.deepEqual(df.Images.map((i) => i.Id), [b.config.digest, a.config.digest], 'newest first');
});

test('ImageService list filters by reference glob, label, before and since', async (t) => {
  const { content, svc } = await setup(t);
  const a = await makeTestImage(content, { labels: { tier: 'web' }, created: '2024-01-01T00:00:00Z' });
  const b = await makeTestImage(content, { labels: { tier: 'db' }, created: '2024-06-01T00:00:00Z' });
  const c = await makeTestImage(content, { created: '2025-01-01T00:00:00Z' });
  svc.createImage('busybox:1', a.target);
  svc.createImage('busybox:2', b.target);
  svc.createImage('quay.io/x/redis:7', c.target);
  const ids = async (o: Parameters<ImageService['list']>[0]) => (await svc.list(o)).map((i) => i.Id);
  assert.deepEqual(await ids({ filters: { reference: ['busybox'] } }), [b.config.digest, a.config.digest]);
  assert.deepEqual(await ids({ filters: { reference: ['busybox:1'] } }), [a.config.digest]);
  assert.deepEqual(await ids({ filters: { reference: ['quay.io/*/redis:*'] } }), [c.config.digest]);
  assert.deepEqual(await ids({ filters: { label: ['tier=db'] } }), [b.config.digest]);
  assert.deepEqual(await ids({ filters: { label: ['tier'] } }), [b.config.digest, a.config.digest]);
  assert.deepEqual(await ids({ filters: { before: 'busybox:2' } }), [a.config.digest]);
  assert.deepEqual(await ids({ filters: { since: 'busybox:2' } }), [c.config.digest]);
});

test('ImageService getImage gives the daemon config, manifest and chainIDs; createImage normalizes names', async (t) => {
  const { content, svc, images, inUse } = await setup(t);
  const img = await makeTestImage(content);
  const rec = svc.createImage(`busybox:1@${img.target.digest}`, img.target);
  assert.equal(rec.name, `docker.io/library/busybox@${img.target.digest}`, 'the digest wins over the tag');
  assert.equal(svc.createImage('busybox', img.target).name, 'docker.io/library/busybox:latest');
  assert.throws(() => svc.createImage('Bad:1', img.target), /must be lowercase/);
  const got = await svc.getImage('busybox');
  assert.equal(got.id, img.config.digest);
  assert.deepEqual(got.chainIds, chainIds(img.diffIds));
  assert.deepEqual(got.config.config?.Cmd, ['sh']);
  assert.equal(got.manifest.layers.length, 2);
  assert.equal('matched' in got, false);
  assert.deepEqual(images.list().map((r) => r.name).sort(), ['docker.io/library/busybox:latest', `docker.io/library/busybox@${img.target.digest}`]);
  inUse.set(img.config.digest, { containerId: 'c', running: false });
  assert.equal((await svc.list({ containers: true }))[0]!.Containers, 1);
});

test('ImageService.resolve of a tag answers as the full scan does: the image, all its names, the named target', async (t) => {
  const { content, svc } = await setup(t);
  const a = await makeTestImage(content, { cmd: ['a'] });
  const b = await makeTestImage(content, { cmd: ['b'] });
  svc.createImage('busybox:1', a.target);
  svc.createImage('alpha:x', a.target);
  svc.createImage('zeta', a.target);
  svc.createImage('other', b.target);
  const byTag = await svc.resolve('busybox:1');
  const byId = await svc.resolve(a.config.digest); // the full scan
  assert.equal(byTag.id, a.config.digest);
  assert.deepEqual(byTag.records.map((r) => r.name), byId.records.map((r) => r.name));
  assert.deepEqual(byTag.records.map((r) => r.name), ['docker.io/library/alpha:x', 'docker.io/library/busybox:1', 'docker.io/library/zeta:latest']);
  assert.deepEqual(byTag.target, byId.target);
  assert.equal(byTag.matched?.name, 'docker.io/library/busybox:1');
  assert.equal((await svc.resolve('other')).id, b.config.digest);
  // what the answer carries is the caller's: changing it changes nothing stored
  byTag.config.config!.Cmd = ['changed'];
  assert.deepEqual((await svc.resolve('busybox:1')).config.config?.Cmd, ['a']);
  await assert.rejects(svc.resolve('busybox:2'), { message: 'No such image: busybox:2' });
});
