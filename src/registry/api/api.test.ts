import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isManifestReference,
  isRepositoryName,
  parseByteRange,
  parseChunkRange,
  parseNextLink,
  parseRegistryError,
  parseRoute,
  referrersTag,
  registryError,
} from './index.ts';

const d = `sha256:${'a'.repeat(64)}`;

test('parseRoute maps every distribution path, names with slashes included', () => {
  const table: Array<[string, unknown]> = [
    ['/v2/', { kind: 'base' }],
    ['/v2', { kind: 'base' }],
    ['/v2/_catalog', { kind: 'catalog' }],
    ['/v2/a/b/c/tags/list', { kind: 'tags', name: 'a/b/c' }],
    ['/v2/library/busybox/manifests/latest', { kind: 'manifest', name: 'library/busybox', reference: 'latest' }],
    [`/v2/x/blobs/${d}`, { kind: 'blob', name: 'x', digest: d }],
    ['/v2/x/y/blobs/uploads/', { kind: 'upload-start', name: 'x/y' }],
    ['/v2/x/y/blobs/uploads/abc-123', { kind: 'upload', name: 'x/y', id: 'abc-123' }],
    [`/v2/x/referrers/${d}`, { kind: 'referrers', name: 'x', digest: d }],
    ['/v3/x', undefined],
  ];
  for (const [path, want] of table) assert.deepEqual(parseRoute(path), want, path);
});

test('isRepositoryName follows the spec grammar', () => {
  for (const ok of ['a', 'library/busybox', 'a.b/c_d/e__f', 'x-y--z/0']) assert.equal(isRepositoryName(ok), true, ok);
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', 'a_', '-a', 'a___b', 'a'.repeat(256)]) assert.equal(isRepositoryName(bad), false, bad);
  assert.equal(isManifestReference('v1.0_rc-1'), true);
  assert.equal(isManifestReference(d), true);
  assert.equal(isManifestReference('.bad'), false);
});

test('parseByteRange handles open, suffix and unsatisfiable ranges', () => {
  assert.deepEqual(parseByteRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseByteRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.equal(parseByteRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseByteRange(undefined, 100), undefined);
  assert.equal(parseByteRange('bytes=1-2,4-5', 100), undefined);
});

test('parseChunkRange accepts start-end and refuses the rest', () => {
  assert.deepEqual(parseChunkRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseChunkRange('bytes 100-199/*'), { start: 100, end: 199 });
  assert.equal(parseChunkRange('9-1'), undefined);
  assert.equal(parseChunkRange('x'), undefined);
});

test('parseNextLink reads the rel="next" URL', () => {
  assert.equal(parseNextLink('</v2/a/tags/list?n=2&last=b>; rel="next"'), '/v2/a/tags/list?n=2&last=b');
  assert.equal(parseNextLink('<x>; rel="prev"'), undefined);
  assert.equal(parseNextLink(null), undefined);
});

test('referrersTag follows the referrers tag schema', () => {
  assert.equal(referrersTag(d), `sha256-${'a'.repeat(64)}`);
});

test('parseRegistryError reads the error body and maps codes to error categories', () => {
  const e = parseRegistryError(404, JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { tag: 'x' } }] }), 'fetch manifest "a:x"');
  assert.equal(e.ociCode, 'MANIFEST_UNKNOWN');
  assert.equal(e.code, 'not-found');
  assert.equal(e.message, 'fetch manifest "a:x": manifest unknown');
  assert.deepEqual(e.detail, { tag: 'x' });
  const unknown = parseRegistryError(503, 'Service Unavailable');
  assert.equal(unknown.ociCode, 'UNAVAILABLE');
  assert.equal(unknown.code, 'unavailable');
  const odd = parseRegistryError(400, JSON.stringify({ errors: [{ code: 'SOMETHING_NEW', message: 'x' }] }));
  assert.equal(odd.ociCode, 'UNKNOWN');
  assert.deepEqual(registryError('BLOB_UNKNOWN', undefined, { digest: d }).toBody(), { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: d } }] });
  assert.equal(registryError('RANGE_INVALID').status, 416);
});
