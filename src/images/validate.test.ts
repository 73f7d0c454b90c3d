import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidArgument, sha256 } from '../lib/index.ts';
import { MediaTypes, isLayerType, layerCompression, isNonDistributable } from './media-types.ts';
import { parseDescriptor, parseImageConfig, parseIndex, parseManifest, parseManifestOrIndex } from './validate.ts';

const d = (s: string) => sha256(s);
const layer = (s: string, mt: string = MediaTypes.ociLayerGzip) => ({ mediaType: mt, digest: d(s), size: s.length });
const manifest = () => ({
  schemaVersion: 2,
  mediaType: MediaTypes.ociManifest,
  config: { mediaType: MediaTypes.ociConfig, digest: d('c'), size: 1 },
  layers: [layer('a'), layer('b'), layer('c')],
});

function rejects(fn: () => unknown, message: string | RegExp) {
  assert.throws(fn, (err) => {
    assert.ok(isInvalidArgument(err), `code of ${(err as Error).message}`);
    if (typeof message === 'string') assert.equal((err as Error).message, message);
    else assert.match((err as Error).message, message);
    return true;
  });
}

test('parseManifest accepts OCI and Docker schema 2 manifests from bytes or objects', () => {
  const m = manifest();
  assert.deepEqual(parseManifest(Buffer.from(JSON.stringify(m))), m);
  const docker = { ...m, mediaType: MediaTypes.dockerManifest, config: { ...m.config, mediaType: MediaTypes.dockerConfig } };
  assert.equal(parseManifest(JSON.stringify(docker), { mediaType: MediaTypes.dockerManifest }).layers.length, 3);
  const noMt: Record<string, unknown> = { ...m };
  delete noMt.mediaType;
  assert.equal(parseManifest(noMt).config.digest, d('c'));
});

test('parseManifest reports the first problem with its JSON path', () => {
  const bad = (mutate: (m: ReturnType<typeof manifest> & Record<string, unknown>) => void) => {
    const m = manifest() as ReturnType<typeof manifest> & Record<string, unknown>;
    mutate(m);
    return () => parseManifest(m);
  };
  rejects(bad((m) => ((m.layers[2] as Record<string, unknown>).digest = 'sha256:xyz')), 'invalid manifest: layers[2].digest: invalid digest "sha256:xyz"');
  rejects(bad((m) => ((m.layers[0] as Record<string, unknown>).size = -1)), 'invalid manifest: layers[0].size: must be a non-negative integer, got -1');
  rejects(bad((m) => ((m.layers[1] as Record<string, unknown>).size = undefined)), 'invalid manifest: layers[1].size: required');
  rejects(bad((m) => ((m.config as Record<string, unknown>).mediaType = 7)), 'invalid manifest: config.mediaType: must be a string, got number');
  rejects(bad((m) => delete (m as Record<string, unknown>).config), 'invalid manifest: config: required');
  rejects(bad((m) => ((m as Record<string, unknown>).layers = {})), 'invalid manifest: layers: must be an array, got object');
  rejects(bad((m) => ((m as Record<string, unknown>).schemaVersion = 3)), 'invalid manifest: schemaVersion: must be 2, got 3');
  rejects(bad((m) => ((m as Record<string, unknown>).mediaType = MediaTypes.ociIndex)), /invalid manifest: mediaType: unexpected media type/);
  rejects(bad((m) => ((m as Record<string, unknown>).annotations = { a: 1 })), 'invalid manifest: annotations["a"]: must be a string, got number');
  rejects(() => parseManifest('{not json'), /^invalid manifest: not valid JSON/);
  rejects(() => parseManifest('[]'), 'invalid manifest: must be a JSON object, got array');
  rejects(() => parseManifest(manifest(), { mediaType: MediaTypes.dockerManifest }), /does not match the descriptor's/);
});

test('parseManifest and parseManifestOrIndex reject schema 1 with a clear message', () => {
  const s1 = { schemaVersion: 1, name: 'x', tag: 'latest', fsLayers: [] };
  rejects(() => parseManifest(s1), /docker image manifest schema 1 .* is no longer supported/);
  rejects(() => parseManifestOrIndex(JSON.stringify(s1), MediaTypes.dockerSchema1SignedManifest), /schema 1/);
  rejects(() => parseManifestOrIndex(JSON.stringify({ ...s1, mediaType: MediaTypes.dockerSchema1Manifest })), /schema 1/);
});

test('parseIndex and parseManifestOrIndex choose by media type or shape', () => {
  const idx = {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifestList,
    manifests: [{ ...layer('m1', MediaTypes.dockerManifest), platform: { os: 'linux', architecture: 'amd64' } }],
  };
  assert.equal(parseIndex(idx).manifests.length, 1);
  const r = parseManifestOrIndex(JSON.stringify(idx));
  assert.equal(r.kind, 'index');
  const noMt: Record<string, unknown> = { ...idx };
  delete noMt.mediaType;
  assert.equal(parseManifestOrIndex(noMt).kind, 'index');
  assert.equal(parseManifestOrIndex(manifest(), MediaTypes.ociManifest).kind, 'manifest');
  rejects(() => parseIndex({ ...idx, manifests: [{ ...idx.manifests[0], platform: { os: 'linux' } }] }), 'invalid index: manifests[0].platform.architecture: required');
  assert.equal(parseManifestOrIndex(manifest(), 'text/plain').kind, 'manifest', 'a vague content type falls back to the JSON');
  rejects(() => parseManifestOrIndex({ ...manifest(), mediaType: 'text/plain' }), 'invalid manifest: unsupported media type "text/plain"');
});

test('parseImageConfig checks the fields the engine relies on', () => {
  const cfg = {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-02T03:04:05.123456789Z',
    config: { Env: ['PATH=/bin'], Cmd: ['sh'], Labels: { a: 'b' }, ExposedPorts: { '80/tcp': {} } },
    rootfs: { type: 'layers', diff_ids: [d('1'), d('2')] },
    history: [{ created_by: 'ADD' }, { created_by: 'ENV', empty_layer: true }, { created_by: 'RUN' }],
  };
  assert.equal(parseImageConfig(JSON.stringify(cfg)).rootfs.diff_ids.length, 2);
  rejects(() => parseImageConfig({ ...cfg, os: undefined }), 'invalid image config: os: required');
  rejects(() => parseImageConfig({ ...cfg, rootfs: { type: 'x', diff_ids: [] } }), 'invalid image config: rootfs.type: must be "layers", got "x"');
  rejects(() => parseImageConfig({ ...cfg, rootfs: { type: 'layers', diff_ids: ['nope'] } }), 'invalid image config: rootfs.diff_ids[0]: invalid digest "nope"');
  rejects(() => parseImageConfig({ ...cfg, created: 'yesterday' }), 'invalid image config: created: must be an RFC 3339 date, got "yesterday"');
  rejects(() => parseImageConfig({ ...cfg, config: { Cmd: 'sh' } }), 'invalid image config: config.Cmd: must be an array, got string');
  rejects(() => parseImageConfig({ ...cfg, history: [{ empty_layer: 'yes' }] }), 'invalid image config: history[0].empty_layer: must be a boolean, got string');
  const nullDiffs = parseImageConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: null } });
  assert.deepEqual(nullDiffs.rootfs.diff_ids, []);
});

test('parseDescriptor and layer media types', () => {
  assert.equal(parseDescriptor(layer('x')).size, 1);
  rejects(() => parseDescriptor({ mediaType: '', digest: d('x'), size: 1 }), 'invalid descriptor: mediaType: must not be empty');
  assert.equal(layerCompression(MediaTypes.dockerLayerGzip), 'gzip');
  assert.equal(layerCompression(MediaTypes.ociLayerZstd), 'zstd');
  assert.equal(layerCompression(MediaTypes.ociLayer), 'none');
  assert.equal(layerCompression(MediaTypes.ociConfig), undefined);
  assert.equal(isLayerType(MediaTypes.dockerLayerForeignGzip), true);
  assert.equal(isNonDistributable(MediaTypes.dockerLayerForeignGzip), true);
  assert.equal(isNonDistributable(MediaTypes.ociLayerGzip), false);
});
