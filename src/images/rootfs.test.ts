import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isFailedPrecondition, sha256 } from '../lib/index.ts';
import { MediaTypes } from './media-types.ts';
import { chainId, chainIds, checkDiffIds } from './rootfs.ts';
import type { ImageConfig, Manifest } from './types.ts';

test('chainIds: the first is the diffID, then sha256(prev + " " + diffID)', () => {
  const d = [sha256('a'), sha256('b'), sha256('c')];
  const c1 = 'sha256:' + createHash('sha256').update(`${d[0]} ${d[1]}`).digest('hex');
  const c2 = 'sha256:' + createHash('sha256').update(`${c1} ${d[2]}`).digest('hex');
  assert.deepEqual(chainIds(d), [d[0], c1, c2]);
  assert.equal(chainId(d), c2);
  assert.equal(chainId([]), undefined);
  assert.throws(() => chainIds(['bad']), /diff_ids\[0\]: invalid digest "bad"/);
});

test('chainIds matches a value computed independently with sha256sum', () => {
  // printf 'sha256:0…0 sha256:0…0' | sha256sum
  const x = 'sha256:' + '0'.repeat(64);
  assert.equal(chainId([x, x]), 'sha256:1c549100e455eee76a4725b64270b19d7fa7aea704960d46363fffa8732d51b8');
});

test('checkDiffIds compares layer count and computed diffIDs with the config', () => {
  const layer = (s: string) => ({ mediaType: MediaTypes.ociLayerGzip, digest: sha256(s), size: 1 });
  const manifest: Manifest = { schemaVersion: 2, config: layer('cfg'), layers: [layer('a'), layer('b')] };
  const config: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('A'), sha256('B')] } };
  checkDiffIds(manifest, config);
  checkDiffIds(manifest, config, [sha256('A'), undefined]);
  assert.throws(() => checkDiffIds(manifest, config, [sha256('A'), sha256('X')]), (e) => isFailedPrecondition(e) && /layer 1 .*diff id is/.test((e as Error).message));
  assert.throws(() => checkDiffIds({ ...manifest, layers: [layer('a')] }, config), /2 diff ids for 1 layers/);
});
