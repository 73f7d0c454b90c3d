import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMetadataDb } from '../metadata/index.ts';
import { ContainerStore } from './store.ts';
import { defaultContainerConfig, defaultHostConfig } from './defaults.ts';
import { initialState } from './state.ts';
import type { Container } from './types.ts';
import { isConflict, isInvalidArgument, isNotFound } from '../lib/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rec = (id: string, name: string, created = '2024-01-01T00:00:00Z'): Container => ({
  id, name, created, imageRef: 'busybox', imageId: 'sha256:x', config: defaultContainerConfig(), hostConfig: defaultHostConfig(),
  state: initialState(), path: 'sh', args: [], restartCount: 0, mountPoints: [], snapshotKey: id, logPath: '', hostnamePath: '',
  hostsPath: '', resolvConfPath: '', execIds: [],
});

test('ContainerStore finds by id, name and prefix, keeps names unique, survives reopen', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-containers-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = openMetadataDb(join(dir, 'metadata.db'));
  const s = new ContainerStore(db);
  s.add(rec('abc123' + '0'.repeat(58), 'web'));
  s.add(rec('abd456' + '0'.repeat(58), 'db', '2024-01-02T00:00:00Z'));
  assert.equal(s.find('web').name, 'web');
  assert.equal(s.find('/db').name, 'db');
  assert.equal(s.find('abc').name, 'web');
  assert.throws(() => s.find('ab'), (e) => isInvalidArgument(e));
  assert.throws(() => s.find('nope'), (e) => isNotFound(e) && /No such container: nope/.test(String(e)));
  assert.throws(() => s.add(rec('f'.repeat(64), 'web')), (e) => isConflict(e) && /is already in use by container "abc123/.test(String(e)));
  assert.throws(() => s.rename(s.find('db'), 'web'), (e) => isConflict(e));
  s.rename(s.find('db'), 'db2');
  const c = s.find('db2');
  c.state.status = 'exited';
  s.save(c);
  assert.deepEqual(s.list().map((x) => x.name), ['db2', 'web'], 'newest first');
  db.close();
  const db2 = openMetadataDb(join(dir, 'metadata.db'));
  t.after(() => db2.close());
  const s2 = new ContainerStore(db2);
  assert.equal(s2.find('db2').state.status, 'exited');
  s2.delete(s2.find('web').id);
  assert.equal(s2.tryFind('web'), undefined);
});
