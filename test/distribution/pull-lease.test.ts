import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LocalContentStore, SqliteLabelStore, contentRoot, writeBlob, type ContentStore } from '../../src/content/index.ts';
import { GarbageCollector, ImageService, ImageStore, LeaseManager, type GcResult } from '../../src/images/index.ts';
import { isNotFound, type Digest } from '../../src/lib/index.ts';
import { metadataDbPath, migrate, openMetadataDb } from '../../src/metadata/index.ts';
import { RegistryClient } from '../../src/registry/client/index.ts';
import { cleanupUnpacks, OverlaySnapshotter, unpackImage } from '../../src/snapshots/index.ts';
import { registryPuller } from '../../src/daemon/registry-pull.ts';
import { sha, startRegistry } from '../registry/helpers.ts';

/** A one-layer image (a real gzip tar with its diffID in the config) in `store`. */
async function makeTarImage(store: ContentStore, dir: string): Promise<{ manifest: Digest; blobs: Digest[]; diffID: Digest }> {
  const src = join(dir, 'layer-src');
  mkdirSync(join(src, 'etc'), { recursive: true });
  writeFileSync(join(src, 'etc', 'leased'), 'kept\n');
  const tar = execFileSync('tar', ['-C', src, '--owner=0', '--group=0', '-c', '.']);
  const gz = gzipSync(tar);
  const layer = await writeBlob(store, gz);
  const diffID = sha(tar);
  const config = await writeBlob(
    store,
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [diffID] } })),
  );
  const manifest = await writeBlob(
    store,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size }],
      }),
    ),
  );
  return { manifest: manifest.digest, blobs: [manifest.digest, config.digest, layer.digest], diffID };
}

/** The daemon's image side over a fresh data root, wired as compose-services wires it. */
function openEngine(dataRoot: string) {
  mkdirSync(dataRoot, { recursive: true });
  const db = openMetadataDb(metadataDbPath(dataRoot));
  const content = new LocalContentStore(contentRoot(dataRoot), { labels: new SqliteLabelStore(db, { migrate }) });
  const snapshotter = new OverlaySnapshotter({ root: dataRoot, db, migrate });
  const imageStore = new ImageStore(db);
  const leases = new LeaseManager(db);
  const gc = new GarbageCollector({ db, content, images: imageStore, leases, snapshots: { snapshotter, roots: () => ({}), cleanup: () => cleanupUnpacks(snapshotter) } });
  const images = new ImageService({ images: imageStore, content });
  return {
    db,
    content,
    snapshotter,
    leases,
    gc,
    images,
    close: async () => {
      await snapshotter.close();
      db.close();
    },
  };
}

/**
 * A content store that runs a GC the first time the pulled manifest is looked up after the
 * download and unpack: every blob and snapshot is made, no image record exists yet (the window
 * a lease covers).
 */
function gcOnManifestInfo(store: ContentStore, gc: GarbageCollector, manifest: Digest, out: { result?: GcResult }): ContentStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'info') {
        return async (digest: string) => {
          if (digest === manifest && !out.result) out.result = await gc.collect();
          return target.info(digest);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('registryPuller under a lease: a GC between download/unpack and the image record keeps every blob and snapshot', async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts overlayfs snapshots: run it as root');
  const dir = mkdtempSync(join(tmpdir(), 'berth-dist-lease-'));
  const registry = await startRegistry();
  const srcStore = new LocalContentStore(join(dir, 'src-content'));
  const src = new RegistryClient({ content: srcStore, dockerConfig: null });
  const leased = openEngine(join(dir, 'leased'));
  const bare = openEngine(join(dir, 'bare'));
  const clients: RegistryClient[] = [src];
  t.after(async () => {
    for (const c of clients) await c.close();
    await leased.close();
    await bare.close();
    await registry.stop();
    try {
      execFileSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mounts | xargs -r -n1 umount -l`]);
    } catch {
      // nothing mounted
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const img = await makeTarImage(srcStore, dir);
  const ref = `${registry.host}/lease/app:1`;
  await src.push(ref, { manifest: { digest: img.manifest } });

  const pullInto = (e: ReturnType<typeof openEngine>, withLeases: boolean, out: { result?: GcResult }) => {
    const client = new RegistryClient({ content: e.content, dockerConfig: null });
    clients.push(client);
    const statuses: string[] = [];
    const pull = registryPuller({
      client,
      content: gcOnManifestInfo(e.content, e.gc, img.manifest, out),
      images: e.images,
      ...(withLeases ? { leases: e.leases } : {}),
      unpack: async (image, { blobs, signal, onSnapshot }) => {
        await unpackImage(blobs, image, e.snapshotter, { signal, onSnapshot });
      },
    });
    return {
      statuses,
      run: () => pull({ image: ref, signal: new AbortController().signal }, { write: (m: { status?: string }) => void statuses.push(m.status ?? '') }),
    };
  };

  // Without a lease the same GC removes what the pull downloaded, and the pull fails: the window is real.
  const bareGc: { result?: GcResult } = {};
  await assert.rejects(pullInto(bare, false, bareGc).run(), (err) => isNotFound(err));
  for (const b of img.blobs) assert.ok(bareGc.result?.removedContent.includes(b), `unleased GC should remove ${b}`);
  assert.ok(bareGc.result?.removedSnapshots.includes(img.diffID), 'unleased GC should remove the unpacked snapshot');

  // Under a lease the GC removes nothing of the image; the pull completes and the image unpacks.
  const leasedGc: { result?: GcResult } = {};
  const p = pullInto(leased, true, leasedGc);
  await p.run();
  assert.ok(leasedGc.result, 'the GC ran during the pull');
  assert.deepEqual(leasedGc.result.removedContent.filter((d) => img.blobs.includes(d as Digest)), []);
  assert.deepEqual(leasedGc.result.removedSnapshots, []);
  assert.deepEqual(p.statuses.filter((s) => s === 'Extracting' || s === 'Pull complete'), ['Extracting', 'Pull complete']);
  for (const b of img.blobs) assert.ok(await leased.content.exists(b), `blob ${b} kept`);
  assert.equal(p.statuses.at(-1), `Status: Downloaded newer image for ${ref}`);
  assert.equal(p.statuses.filter((s) => s.startsWith('Digest:')).length, 1);
  assert.equal(p.statuses.filter((s) => s.startsWith('Status:')).length, 1);
  assert.deepEqual(leased.leases.list(), [], 'the lease is gone once the pull ends');
  // The unpacked layer's snapshot (named by its chainID = the diffID of a one-layer image) survives a GC now that the record holds it.
  const after = await leased.gc.collect();
  assert.deepEqual(after.removedContent, []);
  assert.deepEqual(after.removedSnapshots, []);
  assert.equal((await leased.snapshotter.stat(img.diffID)).name, img.diffID);
});
