import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { lstatSync, readFileSync, writeFileSync, symlinkSync, linkSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeSnapshotter } from './native-snapshotter.ts';
import { snapshotterConformance } from '../testsuite/conformance.ts';

async function fresh() {
  const root = await mkdtemp(join(tmpdir(), 'berth-native-snapshots-'));
  const db = new Database(join(root, 'metadata.db'));
  const sn = new NativeSnapshotter({ root, db });
  return {
    sn,
    dispose: async () => {
      db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

snapshotterConformance('NativeSnapshotter', fresh);

test('NativeSnapshotter: an active child starts as a full copy (modes, owners, links) and views bind the parent', async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (chown)');
  const { sn, dispose } = await fresh();
  try {
    await sn.prepare('a');
    const base = await sn.layerDir('a');
    mkdirSync(join(base, 'd'), { mode: 0o700 });
    writeFileSync(join(base, 'd', 'f'), 'data', { mode: 0o640 });
    (await import('node:fs')).chownSync(join(base, 'd', 'f'), 7, 8);
    symlinkSync('d/f', join(base, 'link'));
    linkSync(join(base, 'd', 'f'), join(base, 'hard'));
    await sn.commit('base', 'a');
    const mounts = await sn.prepare('child', 'base');
    assert.deepEqual(mounts.map((m) => m.type), ['bind']);
    const dir = await sn.layerDir('child');
    const st = lstatSync(join(dir, 'd', 'f'));
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(`${st.uid}:${st.gid}`, '7:8');
    assert.equal(st.nlink, 2);
    assert.equal(lstatSync(join(dir, 'd')).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(dir, 'link'), 'utf8'), 'data');
    assert.equal((await sn.view('v', 'base'))[0]!.source, await sn.layerDir('base'));
  } finally {
    await dispose();
  }
});
