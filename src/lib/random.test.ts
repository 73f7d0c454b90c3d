import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomHex } from './random.ts';

test('randomHex gives n bytes of hex, distinct across pool refills, and serves sizes past the pool', () => {
  const seen = new Set<string>();
  // 3000 ids of 32 bytes pass through the 4 KiB pool about 23 times
  for (let i = 0; i < 3000; i++) {
    const id = randomHex(32);
    assert.match(id, /^[0-9a-f]{64}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 3000);
  assert.match(randomHex(1), /^[0-9a-f]{2}$/);
  assert.equal(randomHex(0), '');
  const big = randomHex(10000);
  assert.equal(big.length, 20000);
  assert.notEqual(big.slice(0, 64), big.slice(64, 128));
});
