import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlreadyExists, isFailedPrecondition, isNotFound } from '../../lib/index.ts';
import { mountAll, unmount, type Mount } from '../../sys/index.ts';
import type { Snapshotter } from '../snapshotter.ts';

/**
 * The shared conformance suite every Snapshotter implementation runs. `make` returns a fresh,
 * empty snapshotter and a function that disposes of it. The suite checks the lifecycle (key,
 * name, parent; active, view, committed), mounts as data, labels, walk, usage and cleanup.
 */
export function snapshotterConformance(
  name: string,
  make: () => Promise<{ sn: Snapshotter; dispose: () => Promise<void> }>,
): void {
  const withSn = (title: string, fn: (sn: Snapshotter) => Promise<void>) =>
    test(`${name} conformance: ${title}`, async () => {
      const { sn, dispose } = await make();
      try {
        await fn(sn);
      } finally {
        await dispose();
      }
    });

  withSn('prepare without a parent returns one writable bind mount of the layer dir', async (sn) => {
    const mounts = await sn.prepare('a');
    assert.equal(mounts.length, 1);
    assert.equal(mounts[0]!.type, 'bind');
    assert.ok(mounts[0]!.options.includes('rw'));
    assert.equal(mounts[0]!.source, await sn.layerDir('a'));
    const info = await sn.stat('a');
    assert.equal(info.kind, 'active');
    assert.equal(info.name, 'a');
    assert.equal(info.parent, undefined);
  });

  withSn('commit turns the key into a committed name and the key disappears', async (sn) => {
    await sn.prepare('k1', undefined, { labels: { l: '1' } });
    writeFileSync(join(await sn.layerDir('k1'), 'f'), 'data');
    await sn.commit('base', 'k1', { labels: { m: '2' } });
    await assert.rejects(sn.stat('k1'), (e) => isNotFound(e));
    const info = await sn.stat('base');
    assert.equal(info.kind, 'committed');
    assert.deepEqual(info.labels, { l: '1', m: '2' });
    assert.equal(readFileSync(join(await sn.layerDir('base'), 'f'), 'utf8'), 'data');
    const usage = await sn.usage('base');
    assert.ok(usage.inodes >= 2, 'dir and file counted');
    assert.ok(usage.size > 0);
  });

  withSn('views are read-only and stat as views; only active snapshots commit', async (sn) => {
    await sn.prepare('k1');
    await sn.commit('l1', 'k1');
    await sn.prepare('k2', 'l1');
    await sn.commit('l2', 'k2');
    for (const [key, parent] of [['v1', 'l1'], ['v2', 'l2']] as const) {
      const mounts = await sn.view(key, parent);
      assert.ok(mounts.length > 0 && mounts.every((m) => m.options.includes('ro')), `${key} mounts read-only`);
      assert.equal((await sn.stat(key)).kind, 'view');
      assert.equal((await sn.stat(key)).parent, parent);
    }
    await assert.rejects(sn.commit('x', 'v2'), (e) => isFailedPrecondition(e));
  });

  withSn('mounted for real: a child sees its parent, writes stay in the child, views are read-only', async (sn) => {
    if (process.getuid?.() !== 0) throw new Error('this conformance test mounts: it needs root');
    const scratch = mkdtempSync(join(tmpdir(), 'berth-conformance-'));
    const mnt = join(scratch, 'mnt');
    mkdirSync(mnt);
    const withMounted = async (mounts: Mount[], fn: () => void) => {
      mountAll(mounts, mnt);
      try {
        fn();
      } finally {
        unmount(mnt);
      }
    };
    try {
      await withMounted(await sn.prepare('a'), () => {
        writeFileSync(join(mnt, 'f'), 'base');
        mkdirSync(join(mnt, 'd'));
        writeFileSync(join(mnt, 'd', 'x'), 'x');
      });
      await sn.commit('base', 'a');
      await withMounted(await sn.prepare('b', 'base'), () => {
        assert.equal(readFileSync(join(mnt, 'f'), 'utf8'), 'base');
        writeFileSync(join(mnt, 'g'), 'child');
        rmSync(join(mnt, 'f'));
        rmSync(join(mnt, 'd'), { recursive: true });
      });
      await sn.commit('top', 'b');
      await withMounted(await sn.view('vt', 'top'), () => {
        assert.deepEqual(readdirSync(mnt).sort(), ['g']);
        assert.throws(() => writeFileSync(join(mnt, 'h'), 'no'), (e: NodeJS.ErrnoException) => e.code === 'EROFS');
      });
      await withMounted(await sn.view('vb', 'base'), () => {
        assert.deepEqual(readdirSync(mnt).sort(), ['d', 'f'], 'the parent is untouched');
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  withSn('mounts() is data only and repeatable; committed snapshots have none', async (sn) => {
    const a = await sn.prepare('a');
    assert.deepEqual(await sn.mounts('a'), a);
    await sn.commit('a-done', 'a');
    await assert.rejects(sn.mounts('a-done'), (e) => isFailedPrecondition(e));
  });

  withSn('keys and names are unique; parents must exist and be committed', async (sn) => {
    await sn.prepare('a');
    await assert.rejects(sn.prepare('a'), (e) => isAlreadyExists(e));
    await assert.rejects(sn.prepare('b', 'missing'), (e) => isNotFound(e));
    await assert.rejects(sn.prepare('b', 'a'), /not committed/);
    await sn.prepare('c');
    await sn.commit('done', 'c');
    await sn.prepare('d');
    await assert.rejects(sn.commit('done', 'd'), (e) => isAlreadyExists(e));
  });

  withSn('remove refuses a parent with children, then removes bottom-up', async (sn) => {
    await sn.prepare('k');
    await sn.commit('p', 'k');
    await sn.prepare('child', 'p');
    const dir = await sn.layerDir('p');
    await assert.rejects(sn.remove('p'), (e) => isFailedPrecondition(e));
    await sn.remove('child');
    await sn.remove('p');
    await assert.rejects(sn.stat('p'), (e) => isNotFound(e));
    assert.equal(existsSync(dir), false);
    await assert.rejects(sn.remove('p'), (e) => isNotFound(e));
  });

  withSn('update replaces labels; walk filters by kind, parent and label', async (sn) => {
    await sn.prepare('k');
    await sn.commit('base', 'k');
    await sn.prepare('a', 'base', { labels: { role: 'container' } });
    await sn.view('v', 'base');
    const updated = await sn.update({ name: 'a', labels: { role: 'container', x: 'y' } });
    assert.deepEqual(updated.labels, { role: 'container', x: 'y' });
    const all: string[] = [];
    await sn.walk((i) => void all.push(i.name));
    assert.deepEqual(all.sort(), ['a', 'base', 'v']);
    const committed: string[] = [];
    await sn.walk((i) => void committed.push(i.name), { kind: 'committed' });
    assert.deepEqual(committed, ['base']);
    const children: string[] = [];
    await sn.walk((i) => void children.push(i.name), { parent: 'base' });
    assert.deepEqual(children.sort(), ['a', 'v']);
    const labelled: string[] = [];
    await sn.walk((i) => void labelled.push(i.name), { labels: { x: 'y' } });
    assert.deepEqual(labelled, ['a']);
  });

  withSn('usage of an active snapshot counts what was written to it', async (sn) => {
    await sn.prepare('a');
    const before = await sn.usage('a');
    writeFileSync(join(await sn.layerDir('a'), 'big'), Buffer.alloc(256 * 1024, 1));
    const after = await sn.usage('a');
    assert.equal(after.inodes, before.inodes + 1);
    assert.ok(after.size >= before.size + 256 * 1024);
  });

  withSn('cleanup keeps every recorded snapshot', async (sn) => {
    await sn.prepare('a');
    await sn.commit('b', 'a');
    await sn.prepare('c', 'b');
    await sn.cleanup();
    assert.equal((await sn.stat('b')).kind, 'committed');
    assert.ok(existsSync(await sn.layerDir('c')));
  });
}
