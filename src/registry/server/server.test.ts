import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInvalidArgument } from '../../lib/index.ts';
import { paginate } from './context.ts';
import { loadConfig } from './config.ts';
import { Htpasswd, htpasswdLine } from './htpasswd.ts';

test('paginate applies last and n and says when more remain', () => {
  const all = ['a', 'b', 'c', 'd'];
  assert.deepEqual(paginate(all, undefined, undefined), { page: all });
  assert.deepEqual(paginate(all, 2, undefined), { page: ['a', 'b'], next: 'b' });
  assert.deepEqual(paginate(all, 2, 'b'), { page: ['c', 'd'] });
  assert.deepEqual(paginate(all, undefined, 'c'), { page: ['d'] });
  assert.deepEqual(paginate(all, 0, undefined), { page: [] });
});

test('loadConfig reads the JSON file over the defaults and refuses garbage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-config-'));
  try {
    assert.equal(loadConfig(undefined).addr, '127.0.0.1:5000');
    const f = join(dir, 'config.json');
    writeFileSync(f, JSON.stringify({ addr: '127.0.0.1:6000', root: '/srv/r', readOnly: true, tls: { cert: 'c.pem', key: 'k.pem' }, gc: { intervalSeconds: 60 } }));
    const c = loadConfig(f);
    assert.equal(c.addr, '127.0.0.1:6000');
    assert.equal(c.root, '/srv/r');
    assert.equal(c.readOnly, true);
    assert.equal(c.deleteEnabled, true);
    assert.deepEqual(c.tls, { cert: 'c.pem', key: 'k.pem' });
    assert.deepEqual(c.gc, { intervalSeconds: 60, gracePeriodSeconds: 3600 });
    writeFileSync(f, '{nope');
    assert.throws(() => loadConfig(f), (err) => isInvalidArgument(err));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Htpasswd checks bcrypt entries ($2y$ included) and refuses other hash kinds', async () => {
  const line = htpasswdLine('carol', 'pw', 4).replace('$2b$', '$2y$');
  const users = new Htpasswd(`# comment\n${line}\n`);
  assert.equal(await users.check('carol', 'pw'), true);
  assert.equal(await users.check('carol', 'pw'), true);
  assert.equal(await users.check('carol', 'other'), false);
  assert.equal(await users.check('dave', 'pw'), false);
  assert.throws(() => new Htpasswd('eve:{SHA}abc'), /only bcrypt/);
});
