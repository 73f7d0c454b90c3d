import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OverlaySnapshotter } from './overlay-snapshotter.ts';
import { snapshotterConformance } from '../testsuite/conformance.ts';

async function fresh(): Promise<{ sn: OverlaySnapshotter; root: string; db: Database.Database; dispose: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'berth-snapshots-'));
  const db = new Database(join(root, 'metadata.db'));
  const sn = new OverlaySnapshotter({ root, db });
  return {
    sn,
    root,
    db,
    dispose: async () => {
      db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

snapshotterConformance('OverlaySnapshotter', fresh);

test('OverlaySnapshotter: prepare on a parent is an overlay with upper, work and the lower chain nearest first; views bind one layer or stack several', async () => {
  const { sn, dispose } = await fresh();
  try {
    await sn.prepare('k1');
    await sn.commit('l1', 'k1');
    await sn.prepare('k2', 'l1');
    await sn.commit('l2', 'k2');
    const m = (await sn.prepare('c', 'l2'))[0]!;
    assert.equal(m.type, 'overlay');
    const lower = m.options.find((o) => o.startsWith('lowerdir='))!.slice('lowerdir='.length).split(':');
    assert.deepEqual(lower, [await sn.layerDir('l2'), await sn.layerDir('l1')]);
    assert.equal(m.options.find((o) => o.startsWith('upperdir=')), `upperdir=${await sn.layerDir('c')}`);
    assert.ok(m.options.some((o) => o.startsWith('workdir=')));
    const one = await sn.view('v1', 'l1');
    assert.deepEqual(one.map((x) => [x.type, x.source]), [['bind', await sn.layerDir('l1')]]);
    const two = (await sn.view('v2', 'l2'))[0]!;
    assert.equal(two.type, 'overlay');
    assert.ok(!two.options.some((o) => o.startsWith('upperdir=')));
  } finally {
    await dispose();
  }
});

test('OverlaySnapshotter stores layers at <root>/snapshots/<numeric id>/fs', async () => {
  const { sn, root, dispose } = await fresh();
  try {
    await sn.prepare('a');
    const dir = await sn.layerDir('a');
    assert.match(dir, new RegExp(`^${root}/snapshots/\\d+/fs$`));
  } finally {
    await dispose();
  }
});

test('OverlaySnapshotter.cleanup removes directories no record refers to', async () => {
  const { sn, root, dispose } = await fresh();
  try {
    await sn.prepare('keep');
    await mkdir(join(root, 'snapshots', '999', 'fs'), { recursive: true });
    await mkdir(join(root, 'snapshots', 'rm-5', 'fs'), { recursive: true });
    await writeFile(join(root, 'snapshots', '999', 'fs', 'junk'), 'x');
    await sn.cleanup();
    const left = await readdir(join(root, 'snapshots'));
    assert.deepEqual(left, [String((await sn.layerDir('keep')).split('/').at(-2))]);
  } finally {
    await dispose();
  }
});

test('OverlaySnapshotter records survive reopening the database', async () => {
  const { sn, root, db, dispose } = await fresh();
  try {
    await sn.prepare('a', undefined, { labels: { x: '1' } });
    await sn.commit('b', 'a');
    const again = new OverlaySnapshotter({ root, db });
    assert.deepEqual((await again.stat('b')).labels, { x: '1' });
  } finally {
    await dispose();
  }
});
