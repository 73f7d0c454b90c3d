import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTar, chainIDs, cleanupUnpacks, unpackImage, UNPACK_OWNER_LABEL, type Info } from '../../src/snapshots/index.ts';
import { makeEnv, requireRoot, storeImage } from './image-fixtures.ts';

test('unpackImage: kill -9 mid-unpack leaves no committed snapshot; cleanupUnpacks removes the half-made one and a retry completes', async (t) => {
  requireRoot();
  const env = await makeEnv('berth-images-crash-');
  t.after(() => env.dispose());
  // one big layer (~96 MiB in 3000 files) so the child is caught in the middle of it
  const files = [];
  for (let i = 0; i < 3000; i++) files.push({ name: `data/d${i % 30}/f${i}`, data: Buffer.alloc(32 * 1024, i % 251) });
  const img = await storeImage(env.content, [await buildTar([{ name: 'small', data: 'x' }]), await buildTar(files)], { gzip: false });

  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'unpack-child.ts'), env.root, img.manifestDigest], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: '' },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ? -1 : code)));
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  // wait until the child is writing into the second layer's active snapshot, then kill -9
  const deadline = Date.now() + 60_000;
  let killedMidway = false;
  while (Date.now() < deadline) {
    const active: Info[] = [];
    await env.snapshotter.walk((i) => void active.push(i), { kind: 'active' });
    const extracting = active.find((i) => i.parent !== undefined);
    if (extracting) {
      const dir = await env.snapshotter.layerDir(extracting.name).catch(() => undefined);
      let n = 0;
      try {
        if (dir) n = readdirSync(join(dir, 'data')).length;
      } catch {
        // not yet
      }
      if (n > 0) {
        child.kill('SIGKILL');
        killedMidway = true;
        break;
      }
    }
    if (out.includes('done')) break;
    await sleep(5);
  }
  assert.equal(await exited, -1, `child was killed (stdout: ${out.trim()})`);
  assert.ok(killedMidway, 'caught the child mid-unpack');

  // what is visible: the first layer committed, the second only as an extract- active snapshot
  const committed: string[] = [];
  const active: Info[] = [];
  await env.snapshotter.walk((i) => void (i.kind === 'committed' ? committed.push(i.name) : active.push(i)));
  const chain2 = chainIDs(img.diffIDs);
  assert.deepEqual(committed, [chain2[0]]);
  assert.equal(active.length, 1);
  assert.ok(active[0]!.labels[UNPACK_OWNER_LABEL]);

  const removed = await cleanupUnpacks(env.snapshotter);
  assert.deepEqual(removed, [active[0]!.name]);
  assert.equal(readdirSync(join(env.root, 'snapshots')).length, 1, 'only the committed layer dir remains');

  const result = await unpackImage(env.content, img.manifest, env.snapshotter);
  assert.equal(result.unpacked, 1);
  assert.equal((await env.snapshotter.stat(result.top)).kind, 'committed');
  assert.equal(readdirSync(join(await env.snapshotter.layerDir(result.top), 'data')).length, 30);
});
