import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authKey, eraseAuth, getAuth, loadConfig, registryOf, storeAuth } from './docker-config.ts';

test('registryOf and authKey pick the registry like docker', () => {
  assert.equal(registryOf('busybox'), 'docker.io');
  assert.equal(registryOf('library/busybox:1'), 'docker.io');
  assert.equal(registryOf('localhost:5000/app'), 'localhost:5000');
  assert.equal(registryOf('localhost/app'), 'localhost');
  assert.equal(registryOf('ghcr.io/o/app@sha256:ab'), 'ghcr.io');
  assert.equal(authKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(authKey('localhost:5000'), 'localhost:5000');
});

test('storeAuth writes base64 auths (mode 0600), getAuth reads them, eraseAuth removes them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ psFormat: 'table {{.ID}}' }));
  await storeAuth(dir, 'localhost:5000', { username: 'alice', password: 's3:cret' });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }>; psFormat: string };
  assert.equal(cfg.psFormat, 'table {{.ID}}');
  assert.equal(Buffer.from(cfg.auths['localhost:5000']!.auth, 'base64').toString(), 'alice:s3:cret');
  assert.equal(statSync(join(dir, 'config.json')).mode & 0o777, 0o600);
  assert.deepEqual(await getAuth(dir, 'localhost:5000'), { serveraddress: 'localhost:5000', username: 'alice', password: 's3:cret' });
  assert.deepEqual(await getAuth(dir, 'other.example'), { serveraddress: 'other.example' });
  assert.equal(await eraseAuth(dir, 'localhost:5000'), true);
  assert.equal(await eraseAuth(dir, 'localhost:5000'), false);
  assert.deepEqual(loadConfig(dir).auths, {});
});

test('credential helpers: credHelpers per registry and credsStore run docker-credential-<name>', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-creds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'store');
  // A real helper executable speaking the docker-credential protocol, keeping one file per server.
  const helper = join(dir, 'docker-credential-berthtest');
  writeFileSync(
    helper,
    `#!/bin/sh
set -e
input=$(cat)
case "$1" in
  store) server=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p'); mkdir -p ${store}; printf '%s' "$input" > "${store}/$(printf '%s' "$server" | tr '/:' '__')";;
  get) f="${store}/$(printf '%s' "$input" | tr '/:' '__')"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi;;
  erase) rm -f "${store}/$(printf '%s' "$input" | tr '/:' '__')";;
esac
`,
  );
  chmodSync(helper, 0o755);
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath}`;
  t.after(() => {
    process.env.PATH = oldPath;
  });
  const cfgDir = join(dir, 'cfg');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(cfgDir);
  writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ credHelpers: { 'registry.example': 'berthtest' } }));
  await storeAuth(cfgDir, 'registry.example', { username: 'bob', password: 'pw' });
  assert.equal(existsSync(join(store, 'registry.example')), true);
  const cfg = loadConfig(cfgDir);
  assert.deepEqual(cfg.auths?.['registry.example'], {});
  assert.deepEqual(await getAuth(cfgDir, 'registry.example'), { username: 'bob', password: 'pw', serveraddress: 'registry.example' });
  // credsStore applies to every other registry.
  writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
  await storeAuth(cfgDir, 'docker.io', { username: 'carol', password: 'tok' });
  assert.deepEqual(await getAuth(cfgDir, 'docker.io'), { username: 'carol', password: 'tok', serveraddress: 'https://index.docker.io/v1/' });
  assert.equal(await eraseAuth(cfgDir, 'docker.io'), true);
  assert.deepEqual(await getAuth(cfgDir, 'docker.io'), { serveraddress: 'https://index.docker.io/v1/' });
});
