import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../lib/index.ts';
import { MediaTypes } from './media-types.ts';
import { formatPlatform, hostPlatform, matchPlatform, normalizePlatform, parsePlatform, selectManifest } from './platforms.ts';
import type { Descriptor } from './types.ts';

test('normalizePlatform maps the many names of an architecture to one', () => {
  const cases: [string, string, string | undefined, string][] = [
    ['linux', 'x86_64', undefined, 'linux/amd64'],
    ['linux', 'x86-64', undefined, 'linux/amd64'],
    ['Linux', 'AMD64', 'v1', 'linux/amd64'],
    ['linux', 'amd64', 'v3', 'linux/amd64/v3'],
    ['linux', 'aarch64', undefined, 'linux/arm64'],
    ['linux', 'arm64', 'v8', 'linux/arm64'],
    ['linux', 'arm64', '8', 'linux/arm64'],
    ['linux', 'arm64', 'v9', 'linux/arm64/v9'],
    ['linux', 'armhf', undefined, 'linux/arm/v7'],
    ['linux', 'armel', undefined, 'linux/arm/v6'],
    ['linux', 'arm', undefined, 'linux/arm/v7'],
    ['linux', 'arm', '6', 'linux/arm/v6'],
    ['linux', 'i386', undefined, 'linux/386'],
    ['macos', 'arm64', undefined, 'darwin/arm64'],
  ];
  for (const [os, architecture, variant, want] of cases) {
    assert.equal(formatPlatform(normalizePlatform(variant ? { os, architecture, variant } : { os, architecture })), want, `${os}/${architecture}/${variant}`);
  }
});

test('parsePlatform reads --platform specifiers', () => {
  const host = { os: 'linux', architecture: 'amd64' };
  assert.deepEqual(parsePlatform('linux/arm64/v8', host), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('linux/arm/v7', host), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatform('arm64', host), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('linux', host), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('windows', host), { os: 'windows', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/x86_64', host), { os: 'linux', architecture: 'amd64' });
  assert.throws(() => parsePlatform('a/b/c/d'), /invalid platform "a\/b\/c\/d"/);
  assert.throws(() => parsePlatform(''), /invalid platform/);
  assert.throws(() => parsePlatform('linux/am d64'), /invalid platform/);
});

test('hostPlatform is this machine in OCI terms', () => {
  const h = hostPlatform();
  assert.equal(h.os, 'linux');
  const want = process.arch === 'x64' ? 'amd64' : process.arch;
  assert.equal(h.architecture, want);
});

test('matchPlatform: arm64 with or without v8, arm v7 runs v6, exact otherwise', () => {
  assert.equal(matchPlatform({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'aarch64', variant: 'v8' }), true);
  assert.equal(matchPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm', variant: 'v6' }), true);
  assert.equal(matchPlatform({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }), false);
  assert.equal(matchPlatform({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'x86_64' }), true);
  assert.equal(matchPlatform({ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' }), false);
  assert.equal(matchPlatform({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: '386' }), false);
  assert.equal(matchPlatform({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: '386' }, { allowCompat: true }), true);
});

test('selectManifest picks the best platform from an index and skips attestations', () => {
  const m = (name: string, platform?: Descriptor['platform'], annotations?: Record<string, string>): Descriptor => ({
    mediaType: MediaTypes.ociManifest,
    digest: sha256(name),
    size: 100,
    ...(platform ? { platform } : {}),
    ...(annotations ? { annotations } : {}),
  });
  const list = [
    m('attest', { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
    m('noplatform'),
    m('arm6', { os: 'linux', architecture: 'arm', variant: 'v6' }),
    m('arm7', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    m('arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    m('amd64', { os: 'linux', architecture: 'amd64' }),
    m('amd64-again', { os: 'linux', architecture: 'amd64' }),
    m('win', { os: 'windows', architecture: 'amd64', 'os.version': '10.0' }),
  ];
  assert.equal(selectManifest(list, { os: 'linux', architecture: 'amd64' })?.digest, sha256('amd64'));
  assert.equal(selectManifest(list, { os: 'linux', architecture: 'aarch64' })?.digest, sha256('arm64'));
  assert.equal(selectManifest(list, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, sha256('arm7'));
  assert.equal(selectManifest(list.filter((x) => x.digest !== sha256('arm7')), { os: 'linux', architecture: 'arm' })?.digest, sha256('arm6'));
  assert.equal(selectManifest(list, { os: 'windows', architecture: 'amd64' })?.digest, sha256('win'));
  assert.equal(selectManifest(list, { os: 'linux', architecture: 's390x' }), undefined);
  assert.equal(selectManifest(list.slice(0, 2), { os: 'unknown', architecture: 'unknown' }), undefined, 'attestations never match');
  assert.equal(selectManifest(list)?.digest, sha256(process.arch === 'x64' ? 'amd64' : 'arm64'));
});
