import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { LocalContentStore, SqliteLabelStore, contentRoot, writeBlob, type ContentStore } from '../../src/content/index.ts';
import { ImageService, ImageStore } from '../../src/images/index.ts';
import { isNotFound, type Digest } from '../../src/lib/index.ts';
import { metadataDbPath, migrate, openMetadataDb } from '../../src/metadata/index.ts';
import { RegistryClient } from '../../src/registry/client/index.ts';
import { OverlaySnapshotter, chainIDs, unpackImage, type Snapshotter } from '../../src/snapshots/index.ts';
import { registryPuller } from '../../src/daemon/registry-pull.ts';
import { TestProxy } from '../registry/proxy.ts';
import { sha, startRegistry } from '../registry/helpers.ts';

/** A two-layer image of real gzip tars (each adds one file) with its diffIDs in the config. */
async function makeTwoLayerImage(store: ContentStore, dir: string): Promise<{ manifest: Digest; layers: Digest[]; diffIDs: Digest[] }> {
  const layers: Digest[] = [];
  const diffIDs: Digest[] = [];
  const descs = [];
  for (const n of [1, 2]) {
    const src = join(dir, `layer-${n}`);
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc', `layer-${n}`), `layer ${n}\n`);
    const tar = execFileSync('tar', ['-C', src, '--owner=0', '--group=0', '-c', '.']);
    const gz = gzipSync(tar);
    const blob = await writeBlob(store, gz);
    layers.push(blob.digest);
    diffIDs.push(sha(tar));
    descs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blob.digest, size: blob.size });
  }
  const config = await writeBlob(store, JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIDs } }));
  const manifest = await writeBlob(
    store,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
      layers: descs,
    }),
  );
  return { manifest: manifest.digest, layers, diffIDs };
}

async function committed(snapshotter: Snapshotter, name: string): Promise<boolean> {
  try {
    return (await snapshotter.stat(name)).kind === 'committed';
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

test('registryPuller extracts the first layer while the last one is still downloading', async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts overlayfs snapshots: run it as root');
  const dir = mkdtempSync(join(tmpdir(), 'berth-dist-overlap-'));
  const registry = await startRegistry();
  const proxy = new TestProxy(registry.url);
  const host = await proxy.listen();
  const srcStore = new LocalContentStore(join(dir, 'src-content'));
  const src = new RegistryClient({ content: srcStore, dockerConfig: null });
  const dataRoot = join(dir, 'data');
  mkdirSync(dataRoot, { recursive: true });
  const db = openMetadataDb(metadataDbPath(dataRoot));
  const content = new LocalContentStore(contentRoot(dataRoot), { labels: new SqliteLabelStore(db, { migrate }) });
  const snapshotter = new OverlaySnapshotter({ root: dataRoot, db, migrate });
  const client = new RegistryClient({ content, dockerConfig: null });
  let stopped = false;
  t.after(async () => {
    stopped = true;
    await client.close();
    await src.close();
    await proxy.kill();
    await registry.stop();
    await snapshotter.close();
    db.close();
    try {
      execFileSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mounts | xargs -r -n1 umount -l`]);
    } catch {
      // nothing mounted
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const img = await makeTwoLayerImage(srcStore, dir);
  await src.push(`${registry.host}/overlap/app:1`, { manifest: { digest: img.manifest } });

  // The last layer's blob is held back until the first layer's snapshot is committed: the pull
  // can only finish if extraction started before every download had ended. (Should the unpack
  // wait for all downloads, the hold gives up after about 30 s and the assertion below fails
  // instead of the test hanging.)
  const firstChain = img.diffIDs[0]!;
  const held: { released?: 'snapshot' | 'gave up' } = {};
  proxy.intercept = (req, _res, upstream) => {
    if (req.method !== 'GET' || !req.url?.endsWith(`/blobs/${img.layers[1]}`)) return false;
    void (async () => {
      for (let i = 0; i < 1500 && !stopped; i++) {
        if (await committed(snapshotter, firstChain)) {
          held.released ??= 'snapshot';
          return upstream();
        }
        await sleep(20);
      }
      held.released ??= 'gave up';
      upstream();
    })();
    return true;
  };

  const statuses: Array<{ status: string; id?: string }> = [];
  const pull = registryPuller({
    client,
    content,
    images: new ImageService({ images: new ImageStore(db), content }),
    unpack: async (image, { blobs, signal, onSnapshot }) => {
      await unpackImage(blobs, image, snapshotter, { signal, onSnapshot });
    },
  });
  await pull({ image: `${host}/overlap/app:1`, signal: new AbortController().signal }, { write: (m: { status?: string; id?: string }) => void statuses.push({ status: m.status ?? '', ...(m.id ? { id: m.id } : {}) }) });

  assert.equal(held.released, 'snapshot', 'the last layer was released because the first one was already extracted');
  // docker's order for the first layer: its extraction began before the second layer's download completed
  const short = (d: Digest) => d.slice('sha256:'.length, 'sha256:'.length + 12);
  const at = (status: string, id: string) => statuses.findIndex((s) => s.status === status && s.id === id);
  assert.ok(at('Extracting', short(img.layers[0]!)) >= 0);
  assert.ok(at('Extracting', short(img.layers[0]!)) < at('Download complete', short(img.layers[1]!)));
  assert.ok(at('Pull complete', short(img.layers[0]!)) < at('Pull complete', short(img.layers[1]!)));
  // both layers are unpacked, each in its own snapshot, the second on top of the first
  const top = await snapshotter.stat(chainIDs(img.diffIDs)[1]!);
  assert.equal(top.kind, 'committed');
  assert.equal(top.parent, firstChain);
  assert.equal(readFileSync(join(await snapshotter.layerDir(firstChain), 'etc', 'layer-1'), 'utf8'), 'layer 1\n');
});
