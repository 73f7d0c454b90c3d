import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNotFound } from '../lib/index.ts';
import { LocalContentStore, writeBlob } from '../content/index.ts';
import { childDescriptors, gcRefLabels, resolveImageTarget, walkImage } from './image-target.ts';
import { MediaTypes } from './media-types.ts';
import { chainIds } from './rootfs.ts';
import { makeTestImage } from './testdata/make-image.ts';
import { parseManifestOrIndex } from './validate.ts';

async function store(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'berth-images-target-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return new LocalContentStore(root);
}

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

test('resolveImageTarget narrows an index to the platform and reads manifest and config', async (t) => {
  const content = await store(t);
  const img = await makeTestImage(content, { platforms: [amd64, arm64] });
  const r = await resolveImageTarget(content, img.target, arm64);
  assert.equal(r.manifestDescriptor.digest, img.platforms[1]!.manifest.digest);
  assert.equal(r.configDescriptor.digest, img.platforms[1]!.config.digest);
  assert.equal(r.config.architecture, 'arm64');
  assert.deepEqual(r.chainIds, chainIds(img.diffIds));
  const direct = await resolveImageTarget(content, img.platforms[0]!.manifest, arm64);
  assert.equal(direct.config.architecture, 'amd64', 'a manifest target is taken as is');
  await assert.rejects(resolveImageTarget(content, img.target, { os: 'linux', architecture: 'riscv64' }), (e) => isNotFound(e));
  // An index of indexes without platforms is followed.
  const outer = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [img.target] }));
  const od = await writeBlob(content, outer);
  const nested = await resolveImageTarget(content, { mediaType: MediaTypes.ociIndex, ...od }, amd64);
  assert.equal(nested.manifestDescriptor.digest, img.platforms[0]!.manifest.digest);
});

test('walkImage visits every blob once, parents first, and reports missing ones', async (t) => {
  const content = await store(t);
  const img = await makeTestImage(content, { platforms: [amd64, arm64], skipPlatformsBlobs: true });
  const seen: [string, boolean][] = [];
  await walkImage(content, img.target, (d, present) => {
    seen.push([d.digest, present]);
  });
  assert.deepEqual(seen, [
    [img.target.digest, true],
    [img.platforms[0]!.manifest.digest, true],
    [img.platforms[0]!.config.digest, true],
    [img.layers[0]!.digest, true],
    [img.layers[1]!.digest, true],
    [img.platforms[1]!.manifest.digest, false],
  ]);
  const pruned: string[] = [];
  await walkImage(content, img.target, (d) => {
    pruned.push(d.digest);
    return d.digest === img.target.digest;
  });
  assert.equal(pruned.length, 3, 'children of a node for which fn returns false are skipped');
  assert.deepEqual((await childDescriptors(content, img.platforms[0]!.manifest)).map((d) => d.digest), [img.config.digest, ...img.layers.map((l) => l.digest)]);
  assert.deepEqual(await childDescriptors(content, img.layers[0]!), []);
});

test('gcRefLabels names a manifest\'s config and layers and an index\'s manifests', async (t) => {
  const content = await store(t);
  const img = await makeTestImage(content, { platforms: [amd64] });
  const manifest = parseManifestOrIndex(await content.readBlob(img.manifest), img.manifest.mediaType);
  assert.deepEqual(gcRefLabels(manifest), (await content.info(img.manifest.digest)).labels);
  const index = parseManifestOrIndex(await content.readBlob(img.target), img.target.mediaType);
  assert.deepEqual(gcRefLabels(index), { 'containerd.io/gc.ref.content.m.0': img.manifest.digest });
});
