import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, unlinkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { buildTar, applyLayerBuffer, diff, changes, unpackImage, Unpacker, NativeSnapshotter } from '../../src/snapshots/index.ts';
import { mountAll, unmount } from '../../src/sys/index.ts';
import { writeBlob } from '../../src/content/index.ts';
import { makeEnv, requireRoot, storeImage, treeOf, mountpoint } from './image-fixtures.ts';

const mt = new Date(1_700_000_000_000);
const layer1 = () =>
  buildTar([
    { name: 'bin/', type: 'directory' },
    { name: 'bin/sh', data: '#!sh', mode: 0o755 },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', data: 'root:x:0:0\n' },
    { name: 'etc/gone', data: 'bye' },
    { name: 'opt/', type: 'directory' },
    { name: 'opt/old/', type: 'directory', mode: 0o750 },
    { name: 'opt/old/a', data: 'a' },
    { name: 'usr/', type: 'directory' },
    { name: 'usr/lib/', type: 'directory' },
    { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
    { name: 'home/', type: 'directory' },
    { name: 'home/user/', type: 'directory', uid: 1000, gid: 1000, mode: 0o700 },
    { name: 'home/user/.profile', data: 'export A=1', uid: 1000, gid: 1000, mode: 0o600 },
  ]);
// layer 2 deletes /etc/gone, replaces /opt/old with an opaque dir, writes through the /lib symlink
const layer2 = () =>
  buildTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.gone' },
    { name: 'opt/old/', type: 'directory', mode: 0o755 },
    { name: 'opt/old/.wh..wh..opq' },
    { name: 'opt/old/b', data: 'b' },
    { name: 'lib/x.so', data: 'elf' },
    { name: 'etc/hard', type: 'link', linkname: 'etc/passwd' },
  ]);
const layer3 = () =>
  buildTar([
    { name: 'etc/passwd', data: 'root:x:0:0\nuser:x:1000:1000\n', mtime: mt },
    { name: 'newfile', data: 'new', mode: 0o640, uid: 5, gid: 6 },
    { name: 'run/fifo', type: 'fifo', mode: 0o600 },
  ]);

const expected = {
  bin: 'dir 755 0:0',
  'bin/sh': 'file 755 0:0 "#!sh" 4',
  etc: 'dir 755 0:0',
  'etc/hard': 'file 644 0:0 "root:x:0:0\\n" 11',
  'etc/passwd': 'file 644 0:0 "root:x:0:0\\nuser:x:1000:1000\\n" 28',
  home: 'dir 755 0:0',
  'home/user': 'dir 700 1000:1000',
  'home/user/.profile': 'file 600 1000:1000 "export A=1" 10',
  lib: 'symlink -> usr/lib 0:0',
  newfile: 'file 640 5:6 "new" 3',
  opt: 'dir 755 0:0',
  'opt/old': 'dir 755 0:0',
  'opt/old/b': 'file 644 0:0 "b" 1',
  run: 'dir 755 0:0',
  'run/fifo': 'fifo 600',
  usr: 'dir 755 0:0',
  'usr/lib': 'dir 755 0:0',
  'usr/lib/x.so': 'file 644 0:0 "elf" 3',
};

/** The merged tree, minus overlay's own markers (opaque flags are not visible through a mount). */
function merged(dir: string): Record<string, string> {
  return treeOf(dir);
}

test('unpackImage: a 3-layer image with a deleted file and an opaque dir mounts with exactly the expected tree', async (t) => {
  requireRoot();
  const env = await makeEnv();
  t.after(() => env.dispose());
  const img = await storeImage(env.content, [await layer1(), await layer2(), await layer3()]);
  const seen: string[] = [];
  const result = await unpackImage(env.content, img.manifest, env.snapshotter, { onSnapshot: (id) => void seen.push(id) });
  assert.equal(result.unpacked, 3);
  assert.deepEqual(seen, result.chainIDs, 'each chainID is announced (for a lease) before it is made');
  assert.deepEqual(result.diffIDs, img.diffIDs);
  for (const id of result.chainIDs) assert.equal((await env.snapshotter.stat(id)).kind, 'committed');
  // layer 2's own dir holds the overlay whiteout and the opaque dir
  const l2 = treeOf(await env.snapshotter.layerDir(result.chainIDs[1]!));
  assert.equal(l2['etc/gone'], 'whiteout');
  assert.equal(l2['opt/old'], 'dir 755 0:0 opaque');

  const mounts = await env.snapshotter.view('v', result.top);
  const mnt = mountpoint(env.root, 'view');
  mkdirSync(mnt);
  mountAll(mounts, mnt);
  try {
    assert.deepEqual(merged(mnt), expected);
    assert.equal(readFileSync(join(mnt, 'lib/x.so'), 'utf8'), 'elf');
  } finally {
    unmount(mnt);
  }

  // a second unpack finds every chainID and unpacks nothing
  const again = await unpackImage(env.content, img.manifest, env.snapshotter);
  assert.equal(again.unpacked, 0);
});

test('OverlaySnapshotter: a container writes only to its upper dir; diff re-applied on the base reproduces its tree; changes lists A/C/D', async (t) => {
  requireRoot();
  const env = await makeEnv();
  t.after(() => env.dispose());
  const tars = [await layer1(), await layer2(), await layer3()];
  const img = await storeImage(env.content, tars);
  const { top, chainIDs } = await unpackImage(env.content, img.manifest, env.snapshotter);
  const layersBefore = await Promise.all(chainIDs.map(async (id) => treeOf(await env.snapshotter.layerDir(id), { mtimes: true })));

  const mounts = await env.snapshotter.prepare('c1', top);
  const mnt = mountpoint(env.root, 'c1');
  mkdirSync(mnt);
  let containerTree: Record<string, string>;
  mountAll(mounts, mnt);
  try {
    writeFileSync(join(mnt, 'etc/hostname'), 'box\n');
    writeFileSync(join(mnt, 'etc/passwd'), 'root:x:0:0\nnew:x:1:1\n');
    unlinkSync(join(mnt, 'bin/sh'));
    rmSync(join(mnt, 'opt/old'), { recursive: true });
    mkdirSync(join(mnt, 'opt/old'));
    writeFileSync(join(mnt, 'opt/old/c'), 'c');
    mkdirSync(join(mnt, 'var/cache'), { recursive: true });
    containerTree = merged(mnt);
  } finally {
    unmount(mnt);
  }
  const upper = await env.snapshotter.layerDir('c1');
  const up = treeOf(upper);
  assert.equal(up['bin/sh'], 'whiteout');
  assert.match(up['etc/hostname']!, /"box\\n"/);
  assert.equal(up['opt/old']?.endsWith('opaque'), true, 'a dir recreated over a deleted one is opaque');
  const layersAfter = await Promise.all(chainIDs.map(async (id) => treeOf(await env.snapshotter.layerDir(id), { mtimes: true })));
  assert.deepEqual(layersAfter, layersBefore, 'image layers untouched');

  const parentView = await env.snapshotter.view('parent-view', top);
  const ch = changes(parentView, upper);
  const byPath = Object.fromEntries(ch.map((c) => [c.path, c.kind]));
  assert.equal(byPath['/etc/hostname'], 'A');
  assert.equal(byPath['/etc/passwd'], 'C');
  assert.equal(byPath['/bin/sh'], 'D');
  assert.equal(byPath['/opt/old/b'], 'D');
  assert.equal(byPath['/opt/old/c'], 'A');
  assert.equal(byPath['/var/cache'], 'A');

  const layerTar = await buffer(diff(parentView, upper));
  // the base as one flat tree, then the diff applied flat on it
  const flat = mkdtempSync(join(env.root, 'flat-'));
  for (const tar of tars) await applyLayerBuffer(tar, flat, { whiteouts: 'flat' });
  assert.deepEqual(treeOf(flat), expected);
  await applyLayerBuffer(layerTar, flat, { whiteouts: 'flat' });
  assert.deepEqual(treeOf(flat), containerTree);

  // and as a new overlay layer on top of the image: commit it like `docker commit`
  const key = 'commit-c1';
  await env.snapshotter.prepare(key, top);
  const res = await applyLayerBuffer(layerTar, await env.snapshotter.layerDir(key), { parents: chainIDs.length ? await Promise.all([...chainIDs].reverse().map((id) => env.snapshotter.layerDir(id))) : [] });
  await env.snapshotter.commit('committed-c1', key);
  assert.match(res.diffID, /^sha256:/);
  const v = await env.snapshotter.view('v-committed', 'committed-c1');
  const mnt2 = mountpoint(env.root, 'committed');
  mkdirSync(mnt2);
  mountAll(v, mnt2);
  try {
    assert.deepEqual(merged(mnt2), containerTree);
  } finally {
    unmount(mnt2);
  }
});

test('OverlaySnapshotter: a 150-layer image mounts despite the one-page mount data limit', async (t) => {
  requireRoot();
  const env = await makeEnv('berth-images-deep-layers-with-a-long-root-name-');
  t.after(() => env.dispose());
  const tars = [];
  for (let i = 0; i < 150; i++) tars.push(await buildTar([{ name: `layers/l${i}`, data: String(i) }, { name: 'top', data: String(i) }]));
  const img = await storeImage(env.content, tars, { gzip: false });
  const unpacker = new Unpacker(env.content, env.snapshotter);
  const [a, b] = await Promise.all([unpacker.unpack(img.manifest), unpacker.unpack(img.manifest)]);
  assert.equal(a.top, b.top);
  assert.equal(a.unpacked + b.unpacked, 150, 'concurrent unpacks of the same chainIDs coalesce');
  const mounts = await env.snapshotter.prepare('deep', a.top);
  const data = mounts[0]!.options.join(',');
  assert.ok(data.length > 4096, `mount data is ${data.length} bytes`);
  const mnt = mountpoint(env.root, 'deep');
  mkdirSync(mnt);
  mountAll(mounts, mnt);
  try {
    const tree = treeOf(mnt);
    assert.equal(Object.keys(tree).filter((k) => k.startsWith('layers/')).length, 150);
    assert.equal(readFileSync(join(mnt, 'top'), 'utf8'), '149');
    writeFileSync(join(mnt, 'written'), 'w');
  } finally {
    unmount(mnt);
  }
  assert.equal(readFileSync(join(await env.snapshotter.layerDir('deep'), 'written'), 'utf8'), 'w');
});

test('unpackImage: a hostile layer is rejected with the entry named and leaves no snapshot behind', async (t) => {
  requireRoot();
  const env = await makeEnv();
  t.after(() => env.dispose());
  const good = await layer1();
  const evil = await buildTar([{ name: 'ok', data: 'fine' }, { name: '../../../../etc/berth-pwned', data: 'x' }]);
  const img = await storeImage(env.content, [good, evil]);
  await assert.rejects(unpackImage(env.content, img.manifest, env.snapshotter), /apply layer: entry "\.\.\/\.\.\/\.\.\/\.\.\/etc\/berth-pwned": path escapes the layer root/);
  const all: string[] = [];
  await env.snapshotter.walk((i) => void all.push(`${i.kind} ${i.name}`));
  assert.deepEqual(all, [`committed ${img.diffIDs[0]}`], 'only the good layer, no half-made snapshot');
  assert.equal(readdirSync(join(env.root, 'snapshots')).length, 1);

  // a layer whose bytes do not match the config's diffID is refused too
  const lying = await storeImage(env.content, [good, await layer2()]);
  const cfg = JSON.parse((await env.content.readBlob(lying.manifest.config)).toString()) as { rootfs: { diff_ids: string[] } };
  cfg.rootfs.diff_ids[1] = img.diffIDs[1]!;
  const c = await writeBlob(env.content, JSON.stringify(cfg));
  await assert.rejects(unpackImage(env.content, { ...lying.manifest, config: { ...lying.manifest.config, digest: c.digest, size: c.size } }, env.snapshotter), /diffID is sha256:.*, image config says/);
});

test('unpackImage into the NativeSnapshotter (copies, flat whiteouts) mounts the same tree as overlay', async (t) => {
  requireRoot();
  const env = await makeEnv();
  t.after(() => env.dispose());
  const native = new NativeSnapshotter({ root: env.root, db: env.db });
  const img = await storeImage(env.content, [await layer1(), await layer2(), await layer3()]);
  const result = await unpackImage(env.content, img.manifest, native);
  const mnt = mountpoint(env.root, 'native-view');
  mkdirSync(mnt);
  mountAll(await native.view('nv', result.top), mnt);
  try {
    assert.deepEqual(merged(mnt), expected);
  } finally {
    unmount(mnt);
  }
  // the native layers hold whole trees: no overlay whiteouts anywhere
  assert.equal(Object.values(treeOf(await native.layerDir(result.chainIDs[1]!))).includes('whiteout'), false);
});
