import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenge } from './authorizer.ts';
import { decodeRegistryAuth } from './docker-config.ts';
import { apiHost, RegistryHosts } from './hosts.ts';
import { familiarName, formatReference, parseReference } from './reference.ts';

test('parseChallenge reads bearer and basic challenges', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
  });
  assert.deepEqual(parseChallenge('Basic realm="berth-registry"'), { scheme: 'basic', params: { realm: 'berth-registry' } });
  assert.equal(parseChallenge('Negotiate x'), undefined);
  assert.equal(parseChallenge(undefined), undefined);
});

test('decodeRegistryAuth reads an X-Registry-Auth header', () => {
  const h = Buffer.from(JSON.stringify({ username: 'u', password: 'p', serveraddress: 'r' })).toString('base64url');
  assert.deepEqual(decodeRegistryAuth(h), { username: 'u', password: 'p' });
  assert.deepEqual(decodeRegistryAuth(Buffer.from(JSON.stringify({ identitytoken: 't' })).toString('base64')), { identityToken: 't' });
  assert.equal(decodeRegistryAuth('e30='), undefined);
  assert.equal(decodeRegistryAuth(undefined), undefined);
});

test('parseReference normalizes Docker Hub names and the API host differs', () => {
  const r = parseReference('busybox');
  assert.deepEqual(r, { domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
  assert.equal(formatReference(r), 'docker.io/library/busybox:latest');
  assert.equal(familiarName(r), 'busybox:latest');
  assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
  assert.deepEqual(parseReference('localhost:5000/a/b@sha256:' + 'b'.repeat(64)), { domain: 'localhost:5000', path: 'a/b', digest: 'sha256:' + 'b'.repeat(64) });
  assert.throws(() => parseReference('Bad/Name'), /invalid reference format|lowercase/);
});

test('RegistryHosts uses plain HTTP for loopback and insecure registries, HTTPS elsewhere, mirrors first', () => {
  const hosts = new RegistryHosts({ insecureRegistries: ['reg.internal:5000'], mirrors: { 'docker.io': ['https://mirror.example'] }, certsDirs: [] });
  assert.equal(hosts.endpoints('127.0.0.1:5000', { pull: true })[0]!.baseUrl, 'http://127.0.0.1:5000');
  assert.equal(hosts.endpoints('localhost:5000', { pull: true })[0]!.baseUrl, 'http://localhost:5000');
  assert.equal(hosts.endpoints('reg.internal:5000', { pull: true })[0]!.baseUrl, 'http://reg.internal:5000');
  assert.equal(hosts.endpoints('ghcr.io', { pull: true })[0]!.baseUrl, 'https://ghcr.io');
  assert.deepEqual(hosts.endpoints('docker.io', { pull: true }).map((e) => [e.baseUrl, e.isMirror]), [
    ['https://mirror.example', true],
    ['https://registry-1.docker.io', false],
  ]);
  assert.equal(hosts.endpoints('docker.io', { pull: false }).length, 1);
  void hosts.close();
});
