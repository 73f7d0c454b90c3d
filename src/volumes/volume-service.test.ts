import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConflict, isInvalidArgument, isNotFound } from '../lib/index.ts';
import { metadataDbPath, openMetadataDb } from '../metadata/index.ts';
import { VolumeService, type VolumeEvent } from './volume-service.ts';
import { anonymousLabel } from './types.ts';

async function setUp(t: { after: (fn: () => Promise<void> | void) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-volumes-'));
  const db = openMetadataDb(metadataDbPath(dir));
  const used = new Map<string, string[]>();
  const events: VolumeEvent[] = [];
  const svc = new VolumeService({ root: join(dir, 'volumes'), db, users: (n) => used.get(n) ?? [], onEvent: (e) => events.push(e) });
  t.after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, db, svc, used, events };
}

test('VolumeService.create makes <root>/<name>/_data with docker modes and returns the existing one on repeat', async (t) => {
  const { dir, svc, events } = await setUp(t);
  const v = await svc.create({ name: 'data1', labels: { a: 'b' } });
  assert.equal(v.mountpoint, join(dir, 'volumes', 'data1', '_data'));
  assert.equal((await stat(join(dir, 'volumes', 'data1'))).mode & 0o777, 0o701);
  assert.equal((await stat(v.mountpoint)).mode & 0o777, 0o755);
  assert.match(v.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const again = await svc.create({ name: 'data1' });
  assert.deepEqual(again, v);
  assert.deepEqual(events.map((e) => `${e.action}:${e.name}`), ['create:data1']);
});

test('VolumeService.create refuses bad names, unknown drivers, and keeps records across reopen', async (t) => {
  const { dir, svc, db } = await setUp(t);
  await assert.rejects(svc.create({ name: 'a!b' }), (e) => isInvalidArgument(e) && /includes invalid characters/.test((e as Error).message));
  await assert.rejects(svc.create({ name: 'x1', driver: 'nfs' }), (e) => isNotFound(e));
  const anon = await svc.create({});
  assert.match(anon.name, /^[0-9a-f]{64}$/);
  assert.equal(anon.anonymous, true);
  assert.equal(anon.labels[anonymousLabel], '');
  const again = new VolumeService({ root: join(dir, 'volumes'), db });
  assert.equal(again.inspect(anon.name).anonymous, true);
});

test('VolumeService.remove refuses a volume in use and deletes its data otherwise', async (t) => {
  const { svc, used } = await setUp(t);
  const v = await svc.create({ name: 'busy' });
  await writeFile(join(v.mountpoint, 'f'), 'x');
  used.set('busy', ['c0ffee']);
  await assert.rejects(svc.remove('busy'), (e) => isConflict(e) && (e as Error).message === 'remove busy: volume is in use - [c0ffee]');
  used.delete('busy');
  await svc.remove('busy');
  await assert.rejects(stat(v.mountpoint), { code: 'ENOENT' });
  await assert.rejects(svc.remove('busy'), (e) => isNotFound(e) && (e as Error).message === 'get busy: no such volume');
  await svc.remove('busy', { force: true });
});

test('VolumeService.list filters by dangling, name, label and driver', async (t) => {
  const { svc, used } = await setUp(t);
  await svc.create({ name: 'web-data', labels: { app: 'web' } });
  await svc.create({ name: 'db-data', labels: { app: 'db', tier: 'back' } });
  used.set('db-data', ['c1']);
  const names = (f: Parameters<VolumeService['list']>[0]) => svc.list(f).map((u) => u.volume.name);
  assert.deepEqual(names({}), ['db-data', 'web-data']);
  assert.deepEqual(names({ dangling: true }), ['web-data']);
  assert.deepEqual(names({ dangling: false }), ['db-data']);
  assert.deepEqual(names({ name: ['web'] }), ['web-data']);
  assert.deepEqual(names({ label: ['app=db'] }), ['db-data']);
  assert.deepEqual(names({ label: ['tier'] }), ['db-data']);
  assert.deepEqual(names({ driver: ['other'] }), []);
  assert.deepEqual(svc.list({ name: ['db'] })[0]?.usedBy, ['c1']);
});

test('VolumePrune removes unused anonymous volumes, and named ones only with all', async (t) => {
  const { svc, used } = await setUp(t);
  const anon = await svc.create({});
  const anonUsed = await svc.create({});
  await svc.create({ name: 'named1' });
  await svc.create({ name: 'keepme', labels: { keep: '1' } });
  await writeFile(join(anon.mountpoint, 'blob'), Buffer.alloc(1000));
  used.set(anonUsed.name, ['c']);
  const first = await svc.prune({ all: false });
  assert.deepEqual(first.deleted, [anon.name]);
  assert.equal(first.reclaimed, 1000);
  const second = await svc.prune({ all: true, labelNot: ['keep'] });
  assert.deepEqual(second.deleted, ['named1']);
  assert.deepEqual(
    svc.list().map((u) => u.volume.name).sort(),
    [anonUsed.name, 'keepme'].sort(),
  );
});

test('VolumeService.acquire creates on first use and release ignores in-use volumes', async (t) => {
  const { svc, used } = await setUp(t);
  const a = await svc.acquire('cache', { labels: { x: 'y' } });
  assert.equal(a.driver, 'local');
  assert.equal((await svc.acquire('cache')).mountpoint, a.mountpoint);
  used.set('cache', ['c']);
  await svc.release('cache');
  assert.equal(svc.inspect('cache').name, 'cache');
  await svc.release('never-existed');
  used.delete('cache');
  await svc.release('cache');
  assert.equal(svc.find('cache'), undefined);
});
