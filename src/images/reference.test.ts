import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidArgument } from '../lib/index.ts';
import {
  familiarName,
  familiarString,
  formatReference,
  isFullImageId,
  isValidTag,
  normalizeReference,
  parseDockerRef,
  parseNormalizedNamed,
  parseReference,
} from './reference.ts';

const hex = 'a'.repeat(64);
const dg = `sha256:${hex}`;

test('normalizeReference fills in docker.io, library/ and latest as docker does', () => {
  const cases: [string, string, string][] = [
    // input, normalized, familiar
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest', '127.0.0.1:5000/app:latest'],
    ['[::1]:5000/app:v1', '[::1]:5000/app:v1', '[::1]:5000/app:v1'],
    ['ghcr.io/x/y', 'ghcr.io/x/y:latest', 'ghcr.io/x/y:latest'],
    [`ghcr.io/x/y@${dg}`, `ghcr.io/x/y@${dg}`, `ghcr.io/x/y@${dg}`],
    [`busybox@${dg}`, `docker.io/library/busybox@${dg}`, `busybox@${dg}`],
    [`busybox:1.36@${dg}`, `docker.io/library/busybox@${dg}`, `busybox@${dg}`],
    ['my-registry.example.com:443/team/svc:2024.01-rc_1', 'my-registry.example.com:443/team/svc:2024.01-rc_1', 'my-registry.example.com:443/team/svc:2024.01-rc_1'],
    ['a__b/c--d.e_f', 'docker.io/a__b/c--d.e_f:latest', 'a__b/c--d.e_f:latest'],
    ['Registry/app', 'Registry/app:latest', 'Registry/app:latest'],
    ['foo:5000', 'docker.io/library/foo:5000', 'foo:5000'],
    ['foo.com:5000/bar', 'foo.com:5000/bar:latest', 'foo.com:5000/bar:latest'],
    ['a/b/c/d/e', 'docker.io/a/b/c/d/e:latest', 'a/b/c/d/e:latest'],
    ['x:' + 'T'.repeat(128), 'docker.io/library/x:' + 'T'.repeat(128), 'x:' + 'T'.repeat(128)],
  ];
  for (const [input, normalized, familiar] of cases) {
    assert.equal(normalizeReference(input), normalized, input);
    assert.equal(familiarString(parseDockerRef(input)), familiar, input);
  }
});

test('parseNormalizedNamed splits domain, path, tag and digest', () => {
  assert.deepEqual(parseNormalizedNamed('busybox'), { domain: 'docker.io', path: 'library/busybox' });
  assert.deepEqual(parseNormalizedNamed('localhost:5000/a/b:tag'), { domain: 'localhost:5000', path: 'a/b', tag: 'tag' });
  assert.deepEqual(parseNormalizedNamed(`ghcr.io/x/y:v1@${dg}`), { domain: 'ghcr.io', path: 'x/y', tag: 'v1', digest: dg });
  assert.equal(familiarName(parseNormalizedNamed('docker.io/library/busybox:1')), 'busybox');
  assert.equal(familiarName(parseNormalizedNamed('quay.io/library/busybox')), 'quay.io/library/busybox');
});

test('parseReference keeps the reference as written', () => {
  assert.deepEqual(parseReference('foo/bar:1'), { domain: 'foo', path: 'bar', tag: '1' });
  assert.deepEqual(parseReference('bar'), { domain: '', path: 'bar' });
  assert.equal(formatReference(parseReference(`a.io/b@${dg}`)), `a.io/b@${dg}`);
});

test('parseNormalizedNamed rejects bad references with clear errors', () => {
  const cases: [string, RegExp][] = [
    ['', /^invalid reference format: repository name must have at least one component$/],
    ['Busybox', /^invalid reference format: repository name must be lowercase$/],
    ['docker.io/Library/busybox', /^invalid reference format: repository name must be lowercase$/],
    ['localhost:5000/App', /^invalid reference format: repository name must be lowercase$/],
    ['busybox:' + 'a'.repeat(129), /^invalid reference format: tag must not be more than 128 characters$/],
    ['busybox:-bad', /^invalid reference format: invalid tag "-bad"$/],
    ['busybox:a:b', /^invalid reference format/],
    [hex, /^invalid repository name \(a{64}\), cannot specify 64-byte hexadecimal strings$/],
    ['busybox@sha256:abc', /^invalid reference format: invalid digest "sha256:abc"$/],
    [`busybox@sha256:${'a'.repeat(63)}b0`, /invalid checksum digest length/],
    [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
    [`busybox@sha256:${'A'.repeat(64)}`, /invalid checksum digest format/],
    ['a//b', /^invalid reference format$/],
    ['a/b/', /^invalid reference format$/],
    ['-a', /^invalid reference format$/],
    ['a-', /^invalid reference format$/],
    ['a..b', /^invalid reference format$/],
    ['a b', /^invalid reference format$/],
    ['héllo', /^invalid reference format$/],
    ['localhost:port/a', /^invalid reference format$/],
    ['a/' + 'b'.repeat(250), /^invalid reference format: repository name must not be more than 255 characters$/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseNormalizedNamed(input), (err) => isInvalidArgument(err) && re.test((err as Error).message), JSON.stringify(input));
  }
});

test('isValidTag and isFullImageId', () => {
  assert.equal(isValidTag('latest'), true);
  assert.equal(isValidTag('v1.2_3-rc'), true);
  assert.equal(isValidTag('.hidden'), false);
  assert.equal(isValidTag('a'.repeat(128)), true);
  assert.equal(isValidTag('a'.repeat(129)), false);
  assert.equal(isFullImageId(hex), true);
  assert.equal(isFullImageId(dg), true);
  assert.equal(isFullImageId('abc'), false);
});
