import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateName, isValidName, normalizeName } from './names.ts';
import { isInvalidArgument } from '../lib/index.ts';

test('normalizeName accepts docker names and strips the slash', () => {
  for (const [input, out] of [
    ['web', 'web'],
    ['/web', 'web'],
    ['a1', 'a1'],
    ['my_app.v2-x', 'my_app.v2-x'],
    ['9lives', '9lives'],
  ] as const) {
    assert.equal(normalizeName(input), out);
  }
});

test('normalizeName rejects names docker rejects', () => {
  for (const bad of ['a', '', '/', '_web', '-web', '.web', 'we b', 'web/x', 'wéb', '//web']) {
    assert.throws(() => normalizeName(bad), (err) => isInvalidArgument(err), bad);
  }
});

test('generateName produces valid adjective_noun names', () => {
  for (let i = 0; i < 200; i++) {
    const n = generateName();
    assert.match(n, /^[a-z]+_[a-z]+$/);
    assert.ok(isValidName(n));
    assert.notEqual(n, 'boring_wozniak');
  }
  assert.match(generateName(1), /^[a-z]+_[a-z]+[0-9]$/);
});
