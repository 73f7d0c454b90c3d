import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, isNotFound, notFound, wrap, invalidArgument } from './errors.ts';

test('wrap keeps the code and chains the message', () => {
  const err = wrap(wrap(notFound('not found'), 'fetch manifest'), 'pull "busybox:latest"');
  assert.equal(err.message, 'pull "busybox:latest": fetch manifest: not found');
  assert.ok(isNotFound(err));
});

test('errorCode maps errno codes', () => {
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'not-found');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'EEXIST' })), 'already-exists');
  assert.equal(errorCode(new Error('plain')), 'internal');
  assert.equal(errorCode(invalidArgument('bad')), 'invalid-argument');
});
