import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256, type Digest } from '../lib/index.ts';
import { ContentLabels, LocalContentStore, SqliteLabelStore, contentRoot, writeBlob, writeStream } from '../content/index.ts';
import { metadataDbPath, migrate, openMetadataDb } from '../metadata/index.ts';
import { OverlaySnapshotter, UNPACK_OWNER_LABEL, cleanupUnpacks } from '../snapshots/index.ts';
import { GarbageCollector } from './gc.ts';
import { ImageStore } from './image-store.ts';
import { LeaseManager } from './leases.ts';
import { chainIds } from './rootfs.ts';
import { makeTestImage, randomLayer, type TestImage } from './testdata/make-image.ts';

async function setup(t: TestContext) {
  const root = await mkdtemp(join(tmpdir(), 'berth-images-gc-'));
  const db = openMetadataDb(metadataDbPath(root));
  t.after(async () => {
    db.close();
    await rm(root, { recursive: true, force: true });
  });
  const content = new LocalContentStore(contentRoot(root), { labels: new SqliteLabelStore(db, { migrate }) });
  const images = new ImageStore(db);
  const leases = new LeaseManager(db);
  const snapshotter = new OverlaySnapshotter({ root, db, migrate });
  const containerSnapshots = new Set<string>();
  const gc = new GarbageCollector({
    db,
    content,
    images,
    leases,
    snapshots: { snapshotter, roots: () => ({ snapshots: containerSnapshots }) },
  });
  return { root, db, content, images, leases, snapshotter, containerSnapshots, gc };
}

/** Commits one snapshot per chainID of `img`, as an unpack does (skipping ones already there). */
async function unpack(snapshotter: OverlaySnapshotter, img: TestImage): Promise<Digest[]> {
  const chain = chainIds(img.diffIds);
  let parent: string | undefined;
  for (const c of chain) {
    try {
      await snapshotter.stat(c);
    } catch {
      const key = `extract-${randomBytes(4).toString('hex')}`;
      await snapshotter.prepare(key, parent);
      await writeFile(join(await snapshotter.layerDir(key), 'file'), c);
      await snapshotter.commit(c, key);
    }
    parent = c;
  }
  return chain;
}

async function allBlobs(content: LocalContentStore): Promise<Set<string>> {
  const out = new Set<string>();
  await content.walk((i) => {
    out.add(i.digest);
  });
  return out;
}

async function allSnapshots(s: OverlaySnapshotter): Promise<Set<string>> {
  const out = new Set<string>();
  await s.walk((i) => {
    out.add(i.name);
  });
  return out;
}

const blobsOf = (img: TestImage) => [img.target.digest, ...img.platforms.flatMap((p) => [p.manifest.digest, p.config.digest]), ...img.layers.map((l) => l.digest)];

test('GarbageCollector keeps what images, leases, labels and containers reference and removes the rest', async (t) => {
  const { content, images, leases, snapshotter, containerSnapshots, gc } = await setup(t);
  const base = randomLayer(4096);
  const a = await makeTestImage(content, { layers: [base, randomLayer()], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });
  const b = await makeTestImage(content, { layers: [base, randomLayer()] });
  const orphan = await makeTestImage(content, { layers: [randomLayer(), randomLayer()] });
  images.create({ name: 'docker.io/library/a:latest', target: a.target });
  images.create({ name: 'docker.io/library/b:latest', target: b.target });
  const stray = await writeBlob(content, 'stray blob');
  const rooted = await writeBlob(content, 'pinned blob', { labels: { [ContentLabels.gcRoot]: 'yes' } });
  const leased = await writeBlob(content, 'leased blob');
  const lease = leases.create();
  await leases.addResource(lease.id, { type: 'content', id: leased.digest });
  const expired = leases.create({ expiresInMs: -1 });
  const lapsed = await writeBlob(content, 'lapsed blob');
  await leases.addResource(expired.id, { type: 'content', id: lapsed.digest });

  const chainA = await unpack(snapshotter, a);
  const chainB = await unpack(snapshotter, b);
  const chainOrphan = await unpack(snapshotter, orphan);
  assert.equal(chainA[0], chainB[0], 'a and b share their base snapshot');
  await snapshotter.prepare('ctr-live', chainB.at(-1));
  containerSnapshots.add('ctr-live');
  await snapshotter.prepare('ctr-gone', chainOrphan.at(-1));
  await snapshotter.prepare('unpack-in-progress', chainA.at(-1), { labels: { [UNPACK_OWNER_LABEL]: `${process.pid}:0` } });

  const dry = await gc.collect({ dryRun: true });
  assert.ok(dry.removedContent.includes(stray.digest));
  assert.ok((await allBlobs(content)).has(stray.digest), 'a dry run deletes nothing');

  // A blob can also keep a snapshot alive by label (as containerd's image configs do).
  await snapshotter.prepare('labelled-key', undefined);
  await snapshotter.commit('labelled-snap', 'labelled-key');
  const holder = await writeBlob(content, 'holder', { labels: { [ContentLabels.gcRoot]: '1', 'containerd.io/gc.ref.snapshot.overlayfs': 'labelled-snap' } });
  assert.ok(holder);

  const r = await gc.collect();
  assert.deepEqual(new Set(r.removedContent), new Set([stray.digest, lapsed.digest, ...blobsOf(orphan)]));
  assert.deepEqual(r.expiredLeases, [expired.id]);
  assert.deepEqual(new Set(r.removedSnapshots), new Set(['ctr-gone', ...chainOrphan]));
  assert.equal(r.removedSnapshots.indexOf('ctr-gone') < r.removedSnapshots.indexOf(chainOrphan.at(-1)!), true, 'children first');
  assert.ok(r.reclaimedBytes > 0);
  const blobs = await allBlobs(content);
  for (const d of [...blobsOf(a), ...blobsOf(b), rooted.digest, leased.digest]) assert.ok(blobs.has(d), `kept ${d}`);
  assert.deepEqual(await allSnapshots(snapshotter), new Set([...chainA, ...chainB, 'ctr-live', 'unpack-in-progress', 'labelled-snap']));

  // Drop image b: its own blobs go, its snapshots stay while the container stands on them.
  images.delete('docker.io/library/b:latest');
  const r2 = await gc.collect();
  assert.deepEqual(new Set(r2.removedContent), new Set([b.target.digest, b.config.digest, b.layers[1]!.digest]));
  assert.deepEqual(r2.removedSnapshots, []);
  containerSnapshots.delete('ctr-live');
  const r3 = await gc.collect();
  assert.deepEqual(new Set(r3.removedSnapshots), new Set(['ctr-live', chainB[1]!]));
  assert.ok((await allSnapshots(snapshotter)).has(chainA[0]!), 'the shared base stays with image a');
  // Nothing left to collect: a second run is a no-op.
  const r4 = await gc.collect();
  assert.deepEqual([r4.removedContent, r4.removedSnapshots], [[], []]);
});

test('GarbageCollector does not race an in-progress pull that holds a lease', async (t) => {
  const { db, content, images, leases } = await setup(t);
  const gcNow = new GarbageCollector({ db, content, images, leases, ingestMaxAgeMs: 0 });
  const layer = randomBytes(200_000);
  const digest = sha256(layer);
  const lease = leases.create({ expiresInMs: 60_000 });
  await leases.addResource(lease.id, { type: 'content', id: digest });
  await leases.addResource(lease.id, { type: 'ingest', id: `pull-${digest}` });
  const w = await content.writer(`pull-${digest}`, { expected: { digest, size: layer.length } });
  await w.write(layer.subarray(0, 100_000));
  // GC while the writer is open and while it is idle between retries: the ingest survives.
  let r = await gcNow.collect();
  assert.deepEqual(r.removedIngests, []);
  await w.close();
  r = await gcNow.collect();
  assert.deepEqual(r.removedIngests, [], 'a leased ingest is kept even when idle');
  // Many blobs committed while collections run concurrently: none is lost.
  const blobs = Array.from({ length: 20 }, () => randomBytes(5000));
  for (const b of blobs) await leases.addResource(lease.id, { type: 'content', id: sha256(b) });
  const runs: Promise<unknown>[] = [];
  const writes = blobs.map(async (b, i) => {
    if (i % 5 === 0) runs.push(gcNow.collect());
    return writeBlob(content, b);
  });
  await Promise.all([...writes, ...runs]);
  await writeStream(content, `pull-${digest}`, (off) => [layer.subarray(off)], { expected: { digest, size: layer.length } });
  r = await gcNow.collect();
  assert.deepEqual(r.removedContent, []);
  for (const b of blobs) assert.equal(await content.exists(sha256(b)), true);
  // The pull finishes: image record first, then the lease goes; everything stays.
  const img = await makeTestImage(content, { layers: [layer] });
  images.create({ name: 'docker.io/library/pulled:latest', target: img.target });
  leases.delete(lease.id);
  r = await gcNow.collect();
  assert.equal(await content.exists(digest), true);
  assert.deepEqual(new Set(r.removedContent), new Set(blobs.map((b) => sha256(b))), 'unleased extras go');
});

const crashWriter = fileURLToPath(new URL('../content/testdata/crash-writer.ts', import.meta.url));

async function ingestThenKill(root: string, ref: string, source: string, stopAt: number): Promise<void> {
  const p = spawn(process.execPath, ['--import', 'tsx', crashWriter, root, ref, source, String(stopAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise((resolve) => p.on('exit', (code, signal) => resolve(signal ?? code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`crash-writer exited ${code}: ${err}`)));
  });
  p.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
}

test('GarbageCollector after kill -9 mid-ingest: a recent ingest is resumable, a stale one is removed', async (t) => {
  const { root, db, content, images, leases, gc } = await setup(t);
  const data = randomBytes(1024 * 1024);
  const digest = sha256(data);
  const source = join(root, 'source.bin');
  await writeFile(source, data);
  await ingestThenKill(contentRoot(root), 'pull-killed', source, 300_000);
  assert.equal(await content.exists(digest), false);
  // The default GC keeps a recent ingest, so the retry resumes from its offset.
  assert.deepEqual((await gc.collect()).removedIngests, []);
  assert.equal((await content.status('pull-killed')).offset, 300_000);
  const asked: number[] = [];
  await writeStream(content, 'pull-killed', (off) => {
    asked.push(off);
    return [data.subarray(off)];
  }, { expected: { digest, size: data.length } });
  assert.deepEqual(asked, [300_000]);
  assert.deepEqual(await content.readBlob({ digest }), data);
  // A second killed ingest nobody comes back for is stale for a GC with a short max age.
  await writeFile(source, randomBytes(200_000));
  await ingestThenKill(contentRoot(root), 'pull-abandoned', source, 100_000);
  const impatient = new GarbageCollector({ db, content, images, leases, ingestMaxAgeMs: 0 });
  const r = await impatient.collect();
  assert.deepEqual(r.removedIngests, ['pull-abandoned']);
  assert.deepEqual(await readdir(join(contentRoot(root), 'ingest')), []);
  assert.ok(r.removedContent.includes(digest), 'the unreferenced completed blob is collected too');
});

test('GarbageCollector with the unpack cleanup removes a killed unpack\'s snapshot and then its unreferenced parents', async (t) => {
  const { db, content, images, leases, snapshotter } = await setup(t);
  const gc = new GarbageCollector({
    db,
    content,
    images,
    leases,
    snapshots: { snapshotter, roots: () => ({}), cleanup: () => cleanupUnpacks(snapshotter) },
  });
  const img = await makeTestImage(content, { layers: [randomLayer(), randomLayer(), randomLayer()] });
  const chain = await unpack(snapshotter, img);
  // An unpack of layer 3 by a process that no longer exists (pid 0 never owns anything).
  await snapshotter.prepare(`extract-dead0000-${chain[2]}`, chain[1], { labels: { [UNPACK_OWNER_LABEL]: '0:0' } });
  // Without the cleanup the owner label protects it; with it the dead unpack goes first.
  const r = await gc.collect();
  assert.ok(r.removedSnapshots.includes(`extract-dead0000-${chain[2]}`));
  assert.deepEqual(await allSnapshots(snapshotter), new Set(), 'no image references the layers: all collected');
  assert.equal((await allBlobs(content)).size, 0);
});
