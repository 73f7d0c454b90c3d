import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTar, unpackImage } from '../../src/snapshots/index.ts';
import { mountAll, unmount } from '../../src/sys/index.ts';
import { ImageStore, loadArchiveFile, saveArchiveToFile } from '../../src/images/index.ts';
import type { Digest } from '../../src/lib/index.ts';
import { makeEnv, mountpoint, requireRoot, storeImage, treeOf } from './image-fixtures.ts';

function need(tool: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} is not installed: this test drives a private dockerd (apt-get install -y docker.io)`);
  }
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

/** Unmounts everything mounted below `dir` (dockerd can leave its data root mounted). */
function unmountBelow(dir: string): void {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && (p === dir || p.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const p of points) unmount(p, { lazy: true, ignoreNotMounted: true });
}

test('docker interop: an image saved by a real docker save loads into Berth, and Berth\'s save is accepted by docker load', async (t) => {
  requireRoot();
  for (const tool of ['docker', 'dockerd', 'containerd']) need(tool);
  const env = await makeEnv('berth-images-docker-');
  const d = join(env.root, 'docker');
  mkdirSync(d);
  const log = (name: string) => openSync(join(d, name), 'a');
  const containerd = spawn('containerd', ['--address', join(d, 'containerd.sock'), '--root', join(d, 'ctd-root'), '--state', join(d, 'ctd-state')], {
    stdio: ['ignore', log('containerd.log'), log('containerd.log')],
  });
  let dockerd: ChildProcess | undefined;
  t.after(async () => {
    if (dockerd) await stop(dockerd);
    await stop(containerd);
    unmountBelow(d);
    await env.dispose();
  });
  for (let i = 0; i < 100 && !existsSync(join(d, 'containerd.sock')); i++) await sleep(50);
  dockerd = spawn(
    'dockerd',
    ['-H', `unix://${join(d, 'docker.sock')}`, '--containerd', join(d, 'containerd.sock'), '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'),
      '--pidfile', join(d, 'docker.pid'), '--bridge', 'none', '--iptables=false', '--ip6tables=false'],
    { stdio: ['ignore', log('dockerd.log'), log('dockerd.log')] },
  );
  const docker = (...args: string[]) => execFileSync('docker', ['-H', `unix://${join(d, 'docker.sock')}`, ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  let ready = false;
  for (let i = 0; i < 150 && !ready; i++) {
    try {
      docker('version');
      ready = true;
    } catch {
      await sleep(100);
    }
  }
  assert.ok(ready, `dockerd did not start: ${readFileSync(join(d, 'dockerd.log'), 'utf8').slice(-2000)}`);

  // docker import + docker save → Berth load → unpack → the tree docker was given
  const rootfs = join(d, 'rootfs.tar');
  writeFileSync(rootfs, await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/greeting', data: 'hello from docker' }, { name: 'bin/', type: 'directory' }, { name: 'bin/link', type: 'symlink', linkname: '../etc/greeting' }]));
  docker('import', rootfs, 'berth-interop:v1');
  const saved = join(d, 'docker-save.tar');
  docker('save', '-o', saved, 'berth-interop:v1');
  const images = new ImageStore(env.db);
  const loaded = await loadArchiveFile(env.content, saved, { images });
  assert.equal(loaded[0]!.name, 'docker.io/library/berth-interop:v1');
  const manifest = JSON.parse((await env.content.readBlob({ digest: loaded[0]!.target.digest as Digest })).toString()) as { config: { digest: Digest; size: number }; layers: { digest: Digest; size: number }[] };
  const dockerId = docker('image', 'inspect', '--format', '{{.Id}}', 'berth-interop:v1').trim();
  assert.equal(manifest.config.digest, dockerId, 'the image ID (config digest) is docker\'s');
  const { top } = await unpackImage(env.content, manifest, env.snapshotter);
  const mnt = mountpoint(env.root, 'docker-view');
  mkdirSync(mnt);
  mountAll(await env.snapshotter.view('dv', top), mnt);
  try {
    const tree = treeOf(mnt);
    assert.equal(tree['etc/greeting'], 'file 644 0:0 "hello from docker" 17');
    assert.equal(tree['bin/link'], 'symlink -> ../etc/greeting 0:0');
  } finally {
    unmount(mnt);
  }

  // Berth save → docker load: same image ID and layers
  const img = await storeImage(env.content, [
    await buildTar([{ name: 'a', data: '1' }]),
    await buildTar([{ name: 'b', data: '2' }, { name: '.wh.a' }]),
  ]);
  const ours = join(d, 'berth-save.tar');
  await saveArchiveToFile(env.content, [{ target: img.target, names: ['berth-made:v2'] }], ours);
  const out = docker('load', '-i', ours);
  assert.match(out, /berth-made:v2/);
  const inspect = JSON.parse(docker('image', 'inspect', 'berth-made:v2')) as { Id: string; RootFS: { Layers: string[] } }[];
  assert.equal(inspect[0]!.Id, img.manifest.config.digest);
  assert.deepEqual(inspect[0]!.RootFS.Layers, img.diffIDs);
});
