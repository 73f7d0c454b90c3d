import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Digester, isDigest, parseDigest, sha256 } from './digest.ts';

test('sha256 of the empty string is the well-known digest', () => {
  assert.equal(sha256(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('Digester over chunks equals sha256 of the whole', () => {
  const d = new Digester();
  d.update(Buffer.from('hello '));
  d.update(Buffer.from('world'));
  assert.equal(d.digest(), sha256('hello world'));
  assert.equal(d.size, 11);
});

test('parseDigest rejects bad digests', () => {
  assert.equal(isDigest('sha256:abc'), false);
  assert.throws(() => parseDigest('md5:00'), /invalid digest "md5:00"/);
});
