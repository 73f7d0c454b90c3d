import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBind, resolveMountPoints } from './mounts.ts';
import type { VolumeProvider } from './ports.ts';

test('parseBind reads binds, named volumes and options', () => {
  assert.deepEqual(parseBind('/h:/c:ro,rslave'), { source: '/h', destination: '/c', rw: false, mode: 'ro,rslave', propagation: 'rslave', noCopy: false, isVolume: false });
  assert.equal(parseBind('data:/d').isVolume, true);
  assert.equal(parseBind('/d').source, '');
  assert.equal(parseBind('/d:ro').rw, false);
  assert.throws(() => parseBind('data:rel'), /must be absolute/);
  assert.throws(() => parseBind('/a:/b:bogus'), /invalid mode/);
  assert.throws(() => parseBind('/h:/'), /destination can't be '\/' in '\/h:\/'/);
});

test('resolveMountPoints refuses tmpfs options docker refuses', async () => {
  await assert.rejects(resolveMountPoints({ binds: [], mounts: [], tmpfs: { '/t': 'size=1m,bogus=1' } }, [], undefined), /invalid tmpfs option "bogus=1"/);
  const [m] = await resolveMountPoints({ binds: [], mounts: [], tmpfs: { '/t': 'size=1m,mode=1777,noexec' } }, [], undefined);
  assert.deepEqual(m?.options, ['size=1m', 'mode=1777', 'noexec']);
});

test('resolveMountPoints: binds, named/anonymous volumes, tmpfs, duplicates', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-containers-mounts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const acquired: string[] = [];
  const provider: VolumeProvider = {
    async acquire(name, o) {
      const n = name ?? `anon${acquired.length}`;
      acquired.push(`${n}:${o.anonymous}`);
      return { name: n, driver: 'local', mountpoint: join(dir, 'vol', n) };
    },
    async remove() {},
  };
  const mps = await resolveMountPoints(
    { binds: [`${dir}/src:/src:ro`, 'named:/named'], mounts: [{ type: 'tmpfs', source: '', target: '/t', readOnly: false, tmpfsSize: 1024 }], tmpfs: { '/run': 'size=1m' } },
    ['/src', '/data'],
    provider,
  );
  assert.deepEqual(mps.map((m) => `${m.type}:${m.destination}:${m.rw}:${m.anonymous}`), [
    'bind:/src:false:false', 'volume:/named:true:false', 'tmpfs:/t:true:false', 'tmpfs:/run:true:false', 'volume:/data:true:true',
  ]);
  assert.deepEqual(acquired, ['named:false', 'anon1:true']);
  await assert.rejects(resolveMountPoints({ binds: ['/a:/x', '/b:/x'], mounts: [], tmpfs: {} }, [], provider), /Duplicate mount point: \/x/);
});
