import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { applyLayerBuffer, buildTar, type TarEntry, type ApplyLayerOptions } from '../../src/snapshots/index.ts';
import { nativeSys } from '../../src/sys/index.ts';
import { isInvalidArgument } from '../../src/lib/index.ts';
import { requireRoot, treeOf } from './image-fixtures.ts';

/** Every path below `dir` with type, mode, owner, size, content and mtime: what must not change. */
function fingerprint(dir: string): Record<string, string> {
  const out = treeOf(dir, { mtimes: true });
  out['.'] = `root ${lstatSync(dir).mode.toString(8)} ${lstatSync(dir).mtimeMs}`;
  return out;
}

interface Case {
  name: string;
  entries: (sentinel: string) => TarEntry[];
  /** Expected rejection (regexp on the message); absent when the layer applies, harmlessly. */
  rejects?: RegExp;
  options?: ApplyLayerOptions;
  /** Extra checks on the target afterwards. */
  check?: (target: string) => void;
  raw?: (sentinel: string) => Promise<Buffer>;
}

const corpus: Case[] = [
  { name: 'dot-dot file', entries: () => [{ name: '../../etc/passwd', data: 'pwned' }], rejects: /entry "\.\.\/\.\.\/etc\/passwd": path escapes the layer root/ },
  { name: 'dot-dot in the middle', entries: () => [{ name: 'a/../../outside', data: 'x' }], rejects: /path escapes the layer root/ },
  { name: 'dot-dot directory', entries: () => [{ name: '../', type: 'directory' }], rejects: /path escapes/ },
  {
    name: 'absolute path is rooted in the target',
    entries: (s) => [{ name: `${s}/file`, data: 'pwned' }],
    check: () => {},
  },
  {
    name: 'relative symlink parent pointing out',
    entries: () => [{ name: 'evil', type: 'symlink', linkname: '../sentinel' }, { name: 'evil/pwned', data: 'x' }],
    check: (t) => assert.equal(readFileSync(join(t, 'sentinel/pwned'), 'utf8'), 'x'),
  },
  {
    name: 'absolute symlink parent pointing out',
    entries: (s) => [{ name: 'evil', type: 'symlink', linkname: s }, { name: 'evil/file', data: 'overwritten' }],
  },
  {
    name: 'symlink chain climbing out',
    entries: () => [
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: '../../../../../../..' },
      { name: 'a/tmp/escape', data: 'x' },
    ],
  },
  {
    name: 'self-referencing dot-dot symlink',
    entries: () => [{ name: 'd', type: 'symlink', linkname: '..' }, { name: 'd/d/d/d/escape', data: 'x' }],
    check: (t) => assert.equal(readFileSync(join(t, 'escape'), 'utf8'), 'x'),
  },
  { name: 'symlink loop', entries: () => [{ name: 'l1', type: 'symlink', linkname: 'l2' }, { name: 'l2', type: 'symlink', linkname: 'l1' }, { name: 'l1/x', data: 'x' }], rejects: /too many levels of symbolic links/ },
  { name: 'hardlink with dot-dot', entries: () => [{ name: 'h', type: 'link', linkname: '../sentinel/file' }], rejects: /path escapes the layer root/ },
  { name: 'hardlink to an absolute outside path', entries: (s) => [{ name: 'h', type: 'link', linkname: `${s}/file` }], rejects: /hardlink target .* does not exist/ },
  {
    name: 'hardlink through a symlinked parent',
    entries: (s) => [{ name: 'evil', type: 'symlink', linkname: s }, { name: 'h', type: 'link', linkname: 'evil/file' }],
    rejects: /hardlink target "evil\/file" does not exist/,
  },
  {
    name: 'file replacing a symlink is not written through it',
    entries: (s) => [{ name: 'victim', type: 'symlink', linkname: `${s}/file` }, { name: 'victim', data: 'overwritten' }],
    check: (t) => assert.ok(lstatSync(join(t, 'victim')).isFile()),
  },
  {
    name: 'hardlink to a symlink that points out, then written through',
    entries: (s) => [
      { name: 's', type: 'symlink', linkname: `${s}/file` },
      { name: 'h', type: 'link', linkname: 's' },
      { name: 'h', data: 'overwritten' },
    ],
    check: (t) => assert.equal(readlinkSync(join(t, 's')).endsWith('/file'), true),
  },
  {
    name: 'whiteout through a symlinked parent',
    entries: (s) => [{ name: 'evil', type: 'symlink', linkname: s }, { name: 'evil/.wh.file' }],
    options: { whiteouts: 'flat' },
  },
  {
    name: 'overlay whiteout through a symlinked parent',
    entries: (s) => [{ name: 'evil', type: 'symlink', linkname: s }, { name: 'evil/.wh.file' }],
  },
  {
    name: 'opaque dir through a symlinked parent (flat)',
    entries: (s) => [{ name: 'evil', type: 'symlink', linkname: s }, { name: 'evil/.wh..wh..opq' }],
    options: { whiteouts: 'flat' },
  },
  { name: 'whiteout of dot-dot', entries: () => [{ name: '.wh...' }], rejects: /invalid whiteout name|escapes/ },
  { name: 'block device without allowDevices', entries: () => [{ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }], rejects: /device nodes are not allowed/ },
  { name: 'char device without allowDevices', entries: () => [{ name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 }], rejects: /device nodes are not allowed/ },
  { name: 'file bigger than the limit', entries: () => [{ name: 'big', data: Buffer.alloc(4096) }], options: { maxFileSize: 1024 }, rejects: /size 4096 is out of range/ },
  { name: 'too many entries', entries: () => [{ name: 'a', data: '' }, { name: 'b', data: '' }, { name: 'c', data: '' }], options: { maxEntries: 2 }, rejects: /more than 2 entries/ },
  { name: 'component longer than 255 bytes', entries: () => [{ name: 'x'.repeat(300), data: '' }], rejects: /path component is longer than 255 bytes/ },
  { name: 'path longer than 4096 bytes', entries: () => [{ name: Array.from({ length: 30 }, () => 'y'.repeat(200)).join('/'), data: '' }], rejects: /path is longer than 4096 bytes/ },
  {
    name: 'overlay xattrs from a layer are ignored',
    entries: () => [{ name: 'd/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.ok': 'yes' } }],
    check: (t) => assert.deepEqual(nativeSys().llistxattr(join(t, 'd')), ['user.ok']),
  },
  {
    name: 'truncated archive',
    entries: () => [],
    raw: async () => (await buildTar([{ name: 'f', data: Buffer.alloc(10_000, 7) }])).subarray(0, 3000),
    rejects: /apply layer/,
  },
  {
    name: 'garbage that is not a tar',
    entries: () => [],
    raw: async () => gzipSync(Buffer.alloc(2048, 0x41)),
    rejects: /apply layer/,
  },
  {
    name: 'file where a parent directory is expected',
    entries: () => [{ name: 'f', data: 'x' }, { name: 'f/child', data: 'y' }],
    rejects: /parent "f" is not a directory/,
  },
];

test('applyLayer: a corpus of hostile layers never changes anything outside the target', async (t) => {
  requireRoot();
  const sandbox = mkdtempSync(join(tmpdir(), 'berth-hostile-'));
  t.after(() => rmSync(sandbox, { recursive: true, force: true }));
  const sentinel = join(sandbox, 'sentinel');
  mkdirSync(join(sentinel, 'sub'), { recursive: true });
  writeFileSync(join(sentinel, 'file'), 'precious');
  writeFileSync(join(sentinel, 'sub', 'deep'), 'deep');
  symlinkSync('file', join(sentinel, 'link'));
  const before = fingerprint(sentinel);
  const results: string[] = [];
  for (const c of corpus) {
    const target = join(sandbox, 'target');
    mkdirSync(target);
    try {
      const data = c.raw ? await c.raw(sentinel) : await buildTar(c.entries(sentinel));
      let err: unknown;
      try {
        await applyLayerBuffer(data, target, c.options ?? {});
      } catch (e) {
        err = e;
      }
      if (c.rejects) {
        assert.ok(err, `${c.name}: expected a rejection`);
        assert.match((err as Error).message, c.rejects, c.name);
        if (!c.raw) assert.ok(isInvalidArgument(err), `${c.name}: invalid-argument, got ${(err as Error).message}`);
      } else {
        assert.equal(err, undefined, `${c.name}: ${(err as Error | undefined)?.message}`);
        c.check?.(target);
      }
      assert.deepEqual(fingerprint(sentinel), before, `${c.name}: the outside sentinel changed`);
      assert.deepEqual(readdirSync(sandbox).sort(), ['sentinel', 'target'], `${c.name}: something appeared beside the target`);
      results.push(c.name);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  }
  assert.equal(results.length, corpus.length);
});

test('applyLayer: devices are made only with allowDevices, and a whiteout in overlay mode is a 0/0 char device', async (t) => {
  requireRoot();
  const target = mkdtempSync(join(tmpdir(), 'berth-devices-'));
  t.after(() => rmSync(target, { recursive: true, force: true }));
  await applyLayerBuffer(
    await buildTar([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/.wh.gone' },
    ]),
    target,
    { allowDevices: true },
  );
  const tree = treeOf(target);
  assert.equal(tree['dev/null'], `chardev ${(1 << 8) | 3} 666`);
  assert.equal(tree['dev/gone'], 'whiteout');
});
