// A real image (busybox) pushed to berth-registry, pulled by the client into the content store,
// unpacked into overlay snapshots through the unpack hook, and recorded in the image store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { writeBlob } from '../../src/content/index.ts';
import { ImageStore } from '../../src/images/index.ts';
import { migrate, openMetadataDb } from '../../src/metadata/index.ts';
import { RegistryClient, type ProgressMessage } from '../../src/registry/client/index.ts';
import { OverlaySnapshotter, Unpacker } from '../../src/snapshots/index.ts';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';
import { openContentStore, sha, startRegistry, tempDir } from './helpers.ts';

const run = promisify(execFile);

test('pull unpacks a busybox image into snapshots and records it in the image store', async (t) => {
  if (process.getuid?.() !== 0) assert.fail('this test unpacks into overlay snapshots and must run as root');
  const dir = tempDir('unpack');
  const reg = await startRegistry();
  const src = openContentStore();
  const dst = openContentStore();
  const db = openMetadataDb(join(dir.path, 'metadata.db'));
  t.after(async () => {
    db.close();
    await reg.stop();
    src.remove();
    dst.remove();
    dir.remove();
  });
  const rootfs = makeBusyboxRootfs(join(dir.path, 'rootfs'));
  await run('tar', ['-czf', join(dir.path, 'layer.tar.gz'), '--numeric-owner', '-C', rootfs, '.']);
  const layer = readFileSync(join(dir.path, 'layer.tar.gz'));
  const diffId = sha(gunzipSync(layer));
  const l = await writeBlob(src.store, layer);
  const config = await writeBlob(src.store, JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const manifest = await writeBlob(src.store, JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...l }],
  }));
  const pusher = new RegistryClient({ content: src.store, dockerConfig: null });
  await pusher.push(`${reg.host}/library/busybox:latest`, { manifest: { digest: manifest.digest } });

  const snapshotter = new OverlaySnapshotter({ root: join(dir.path, 'data'), db, migrate });
  const unpacker = new Unpacker(dst.store, snapshotter);
  const images = new ImageStore(db);
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  const msgs: ProgressMessage[] = [];
  let top = '';
  const pulled = await client.pull(`${reg.host}/library/busybox`, {
    onProgress: (m) => msgs.push(m),
    imageStore: images,
    unpack: async (img, onLayer, ready) => {
      // the hook starts while blobs download: it reads them once they are in
      await Promise.all([img.config, ...img.layers].map((d) => ready(d.digest)));
      for (const layer of img.layers) onLayer(layer, 'extracting');
      const r = await unpacker.unpack({ config: img.config, layers: img.layers });
      top = r.top;
      for (const layer of img.layers) onLayer(layer, 'complete');
    },
  });
  assert.equal(pulled.digest, manifest.digest);
  const rec = images.get(`${reg.host}/library/busybox:latest`);
  assert.equal(rec.target.digest, manifest.digest);
  assert.equal(top, diffId, 'a one-layer image: the chain id is the diff id');
  const info = await snapshotter.stat(top);
  assert.equal(info.kind, 'committed');
  const mounts = await snapshotter.view(`check-${Date.now()}`, top);
  const lower = mounts.flatMap((m) => m.options ?? []).find((o) => o.startsWith('lowerdir='))?.slice('lowerdir='.length).split(':')[0] ?? mounts[0]!.source;
  assert.ok(existsSync(join(lower, 'bin', 'busybox')), `bin/busybox in the unpacked snapshot (${lower})`);
  const statuses = msgs.map((m) => m.status);
  assert.ok(statuses.indexOf('Extracting') < statuses.indexOf('Pull complete'));
  assert.equal(statuses.at(-1), `Status: Downloaded newer image for ${reg.host}/library/busybox:latest`);
  await client.close();
  await pusher.close();
});
