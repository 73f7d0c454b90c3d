import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { buildTar, chainIDs, unpackImage } from '../../src/snapshots/index.ts';
import { mountAll, unmount } from '../../src/sys/index.ts';
import {
  ImageStore, commitContainer, exportFilesystem, importRootfs, loadArchive, loadArchiveFile, loadOciLayoutDir,
  saveArchive, saveArchiveToFile, saveOciLayoutDir,
} from '../../src/images/index.ts';
import { sha256, type Digest } from '../../src/lib/index.ts';
import { writeBlob } from '../../src/content/index.ts';
import { makeEnv, requireRoot, storeImage, treeOf, mountpoint, type Env } from './image-fixtures.ts';

const fileSha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function threeLayers(env: Env) {
  return storeImage(env.content, [
    await buildTar([{ name: 'bin/', type: 'directory' }, { name: 'bin/tool', data: 'v1', mode: 0o755 }, { name: 'etc/', type: 'directory' }, { name: 'etc/os', data: 'berth' }]),
    await buildTar([{ name: 'etc/.wh.os' }, { name: 'etc/conf', data: 'c' }]),
    await buildTar([{ name: 'app/', type: 'directory' }, { name: 'app/main', data: 'main()' }]),
  ]);
}

async function tarNames(stream: Readable): Promise<string[]> {
  const extract = tar.extract();
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  const names: string[] = [];
  for await (const e of extract) {
    names.push(e.header.name);
    for await (const _ of e) {
      // skip
    }
  }
  return names;
}

async function mounted<T>(env: Env, key: string, top: string, fn: (dir: string) => T): Promise<T> {
  const mounts = await env.snapshotter.view(key, top);
  const mnt = mountpoint(env.root, key);
  mkdirSync(mnt);
  mountAll(mounts, mnt);
  try {
    return fn(mnt);
  } finally {
    unmount(mnt);
  }
}

test('saveArchive (docker format) → loadArchive round-trips names and digests, and re-saving is byte-identical', async (t) => {
  requireRoot();
  const a = await makeEnv();
  const b = await makeEnv();
  t.after(async () => {
    await a.dispose();
    await b.dispose();
  });
  const img = await threeLayers(a);
  const file1 = join(a.root, 'save.tar');
  await saveArchiveToFile(a.content, [{ target: img.target, names: ['myapp:1.0', 'localhost:5000/team/app'] }], file1);
  const names = await tarNames(Readable.from([readFileSync(file1)]));
  for (const n of ['manifest.json', 'repositories', 'index.json', 'oci-layout', `blobs/sha256/${img.manifestDigest.slice(7)}`]) assert.ok(names.includes(n), n);

  const images = new ImageStore(b.db);
  const loaded = await loadArchiveFile(b.content, file1, { images });
  assert.deepEqual(loaded.map((l) => [l.name, l.target.digest]), [
    ['docker.io/library/myapp:1.0', img.manifestDigest],
    ['localhost:5000/team/app:latest', img.manifestDigest],
  ]);
  assert.equal(images.get('docker.io/library/myapp:1.0').target.digest, img.manifestDigest);
  for (const l of img.manifest.layers) assert.ok(await b.content.exists(l.digest));
  const file2 = join(b.root, 'resave.tar');
  await saveArchiveToFile(b.content, [{ target: loaded[0]!.target, names: ['myapp:1.0', 'localhost:5000/team/app:latest'] }], file2);
  assert.equal(fileSha(file2), fileSha(file1));
  // the loaded image unpacks and has the expected files
  const res = await unpackImage(b.content, img.manifest, b.snapshotter);
  const tree = await mounted(b, 'v', res.top, (d) => treeOf(d));
  assert.deepEqual(Object.keys(tree).sort(), ['app', 'app/main', 'bin', 'bin/tool', 'etc', 'etc/conf']);
});

test('OCI layout: tar and directory round-trip the manifest digest', async (t) => {
  requireRoot();
  const a = await makeEnv();
  const b = await makeEnv();
  t.after(async () => {
    await a.dispose();
    await b.dispose();
  });
  const img = await threeLayers(a);
  const target = img.target;
  const ociTar = await buffer(saveArchive(a.content, [{ target, names: ['example.com/x/y:v2'] }], { format: 'oci' }));
  const names = await tarNames(Readable.from([ociTar]));
  assert.ok(!names.includes('manifest.json'));
  const fromTar = await loadArchive(b.content, Readable.from([ociTar]));
  assert.deepEqual(fromTar.map((l) => [l.name, l.target.digest]), [['example.com/x/y:v2', img.manifestDigest]]);

  const dir = join(a.root, 'layout');
  await saveOciLayoutDir(a.content, [{ target, names: ['example.com/x/y:v2'] }], dir);
  assert.equal(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')).imageLayoutVersion, '1.0.0');
  const c = await makeEnv();
  t.after(() => c.dispose());
  const fromDir = await loadOciLayoutDir(c.content, dir, { repository: 'ignored' });
  assert.equal(fromDir[0]!.target.digest, img.manifestDigest);
  assert.equal(fromDir[0]!.name, 'example.com/x/y:v2');
});

test('saved archives are accepted by skopeo inspect (docker-archive, oci-archive) and umoci unpack', async (t) => {
  requireRoot();
  for (const tool of ['skopeo', 'umoci']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`]);
    } catch {
      throw new Error(`${tool} is not installed (apt-get install -y ${tool})`);
    }
  }
  const a = await makeEnv();
  t.after(() => a.dispose());
  const img = await threeLayers(a);
  const target = img.target;
  const dockerFile = join(a.root, 'docker.tar');
  await saveArchiveToFile(a.content, [{ target, names: ['myapp:1.0'] }], dockerFile);
  const di = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${dockerFile}`], { encoding: 'utf8' })) as { Layers: string[]; Os: string };
  assert.deepEqual(di.Layers, img.diffIDs, "skopeo lists the uncompressed layers of a docker archive");
  assert.equal(di.Os, 'linux');
  const ociFile = join(a.root, 'oci.tar');
  await saveArchiveToFile(a.content, [{ target, names: ['myapp:1.0'] }], ociFile, { format: 'oci' });
  const oi = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${ociFile}:1.0`], { encoding: 'utf8' })) as { Digest: string; Layers: string[] };
  assert.equal(oi.Digest, img.manifestDigest);
  assert.deepEqual(oi.Layers, img.manifest.layers.map((l) => l.digest));

  const layout = join(a.root, 'layout');
  await saveOciLayoutDir(a.content, [{ target, names: ['myapp:1.0'] }], layout);
  const bundle = join(a.root, 'bundle');
  execFileSync('umoci', ['unpack', '--image', `${layout}:1.0`, bundle], { stdio: 'pipe' });
  assert.equal(readFileSync(join(bundle, 'rootfs/app/main'), 'utf8'), 'main()');
  assert.equal(existsSync(join(bundle, 'rootfs/etc/os')), false, 'whiteout honoured');
});

test('loadArchive reads a legacy docker save archive (layer dirs, symlinked duplicate layer) made by our tar writer', async (t) => {
  requireRoot();
  const env = await makeEnv();
  t.after(() => env.dispose());
  const l1 = await buildTar([{ name: 'hello', data: 'world' }, { name: 'dir/', type: 'directory' }]);
  const l2 = await buildTar([{ name: 'dir/file', data: 'f' }]);
  const diffIDs = [sha256(l1), sha256(l2), sha256(l1)];
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIDs }, history: [{}, {}, {}] });
  const cfgHex = sha256(config).slice(7);
  const archive = await buildTar([
    { name: 'aaaa/', type: 'directory' },
    { name: 'aaaa/VERSION', data: '1.0' },
    { name: 'aaaa/json', data: '{"id":"aaaa"}' },
    { name: 'aaaa/layer.tar', data: l1 },
    { name: 'bbbb/', type: 'directory' },
    { name: 'bbbb/layer.tar', data: l2 },
    { name: 'cccc/', type: 'directory' },
    { name: 'cccc/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' },
    { name: `${cfgHex}.json`, data: config },
    { name: 'manifest.json', data: JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['legacy:old'], Layers: ['aaaa/layer.tar', 'bbbb/layer.tar', 'cccc/layer.tar'] }]) },
    { name: 'repositories', data: JSON.stringify({ legacy: { old: 'cccc' } }) },
  ]);
  const images = new ImageStore(env.db);
  const loaded = await loadArchive(env.content, Readable.from([archive]), { images });
  assert.equal(loaded.length, 1);
  assert.equal(loaded[0]!.name, 'docker.io/library/legacy:old');
  const manifest = JSON.parse((await env.content.readBlob({ digest: loaded[0]!.target.digest as Digest })).toString()) as { config: { digest: Digest; size: number }; layers: { digest: Digest; size: number }[] };
  assert.equal(manifest.config.digest, `sha256:${cfgHex}`);
  assert.deepEqual(manifest.layers.map((l) => l.digest), diffIDs);
  const res = await unpackImage(env.content, manifest, env.snapshotter);
  const tree = await mounted(env, 'v', res.top, (d) => treeOf(d));
  assert.equal(tree['hello'], 'file 644 0:0 "world" 5');
  assert.equal(tree['dir/file'], 'file 644 0:0 "f" 1');
  // saved again as a docker archive and reloaded: the synthesized manifest keeps its digest
  const again = await makeEnv();
  t.after(() => again.dispose());
  const re = await loadArchive(again.content, saveArchive(env.content, [{ target: loaded[0]!.target, names: ['legacy:old'] }]));
  assert.equal(re[0]!.target.digest, loaded[0]!.target.digest);
});

test('importRootfs makes a one-layer image; commitContainer adds the container layer with history; exportFilesystem tars the merged tree', async (t) => {
  requireRoot();
  const env = await makeEnv();
  t.after(() => env.dispose());
  const images = new ImageStore(env.db);
  const rootfs = await buildTar([{ name: './', type: 'directory' }, { name: './bin/', type: 'directory' }, { name: './bin/sh', data: 'sh', mode: 0o755 }, { name: './etc/', type: 'directory' }, { name: './etc/motd', data: 'hi' }]);
  const imp = await importRootfs(env.content, Readable.from([gzipSync(rootfs)]), { name: 'imported:1', images, message: 'from test', config: { Cmd: ['/bin/sh'] } });
  assert.equal(imp.diffID, sha256(rootfs));
  assert.equal(imp.layer.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(images.get('docker.io/library/imported:1').target.digest, imp.target.digest);
  const manifest = JSON.parse((await env.content.readBlob({ digest: imp.target.digest as Digest })).toString()) as { config: { digest: Digest; size: number }; layers: { digest: Digest; size: number; mediaType: string }[] };
  const cfg = JSON.parse((await env.content.readBlob(manifest.config)).toString()) as { history: { comment?: string }[]; config: { Cmd: string[] } };
  assert.equal(cfg.history[0]!.comment, 'from test');
  const { top } = await unpackImage(env.content, manifest, env.snapshotter);

  // a container writes, deletes and is committed
  const mounts = await env.snapshotter.prepare('ctr', top);
  const mnt = mountpoint(env.root, 'ctr');
  mkdirSync(mnt);
  let containerTree: Record<string, string>;
  mountAll(mounts, mnt);
  try {
    writeFileSync(join(mnt, 'etc/added'), 'new');
    execFileSync('rm', [join(mnt, 'etc/motd')]);
    containerTree = treeOf(mnt);
  } finally {
    unmount(mnt);
  }
  const exported = await tarNames(await exportFilesystem(mounts));
  assert.deepEqual(exported.map((n) => n.replace(/\/$/, '')).sort(), Object.keys(containerTree).sort());

  const commit = await commitContainer(env.content, {
    parent: imp.target,
    upper: await env.snapshotter.layerDir('ctr'),
    lower: await env.snapshotter.view('ctr-parent', top),
    config: { Env: ['A=1'] },
    author: 'tester',
    comment: 'my change',
    createdBy: '/bin/sh -c edit',
    name: 'committed:2',
    images,
    snapshotter: env.snapshotter,
  });
  const m2 = JSON.parse((await env.content.readBlob({ digest: commit.target.digest as Digest })).toString()) as { config: { digest: Digest; size: number }; layers: unknown[] };
  assert.equal(m2.layers.length, 2);
  const cfg2 = JSON.parse((await env.content.readBlob(m2.config)).toString()) as { author: string; history: { comment?: string; created_by?: string }[]; rootfs: { diff_ids: string[] }; config: { Cmd: string[]; Env: string[] } };
  assert.equal(cfg2.history.length, 2);
  assert.equal(cfg2.history[1]!.comment, 'my change');
  assert.equal(cfg2.history[1]!.created_by, '/bin/sh -c edit');
  assert.deepEqual(cfg2.config, { Cmd: ['/bin/sh'], Env: ['A=1'] });
  assert.equal(cfg2.rootfs.diff_ids[1], commit.diffID);
  assert.equal(images.get('docker.io/library/committed:2').target.digest, commit.target.digest);
  const chain = chainIDs(cfg2.rootfs.diff_ids as Digest[]);
  const tree = await mounted(env, 'committed-view', chain[1]!, (d) => treeOf(d));
  assert.deepEqual(tree, containerTree);
});

test('saveArchive keeps an index target whole (platforms present locally), so its digest round-trips', async (t) => {
  requireRoot();
  const a = await makeEnv();
  const b = await makeEnv();
  t.after(async () => {
    await a.dispose();
    await b.dispose();
  });
  const amd = await threeLayers(a);
  const arm = await storeImage(a.content, [await buildTar([{ name: 'arm', data: 'arm64' }])]);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { ...amd.target, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm.target, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('absent'), size: 100, platform: { architecture: 's390x', os: 'linux' } },
    ],
  };
  const idx = await writeBlob(a.content, JSON.stringify(index));
  const target = { mediaType: index.mediaType, digest: idx.digest, size: idx.size };
  for (const format of ['docker', 'oci'] as const) {
    const data = await buffer(saveArchive(a.content, [{ target, names: ['multi:1'] }], { format, platform: { os: 'linux', architecture: 'amd64' } }));
    const loaded = await loadArchive(b.content, Readable.from([data]));
    assert.deepEqual(loaded.map((l) => [l.name, l.target.digest]), [['docker.io/library/multi:1', idx.digest]], format);
    assert.ok(await b.content.exists(arm.manifestDigest), `${format}: the other local platform came along`);
  }
});
