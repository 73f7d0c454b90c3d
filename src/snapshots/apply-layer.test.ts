import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256 } from '../lib/index.ts';
import { applyLayer, applyLayerBuffer, entryComponents } from './apply-layer.ts';
import { chainIDs } from './chain-id.ts';
import { detectCompression } from './decompress.ts';
import { buildTar } from './tar-builder.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('entryComponents strips leading slashes and dots, refuses dot-dot and oversize names', () => {
  assert.deepEqual(entryComponents('/etc/./passwd'), ['etc', 'passwd']);
  assert.deepEqual(entryComponents('./a//b/'), ['a', 'b']);
  assert.deepEqual(entryComponents('./'), []);
  assert.throws(() => entryComponents('a/../b'), /path escapes the layer root/);
  assert.throws(() => entryComponents('x'.repeat(256)), /longer than 255 bytes/);
});

test('detectCompression reads gzip and zstd magic bytes, else plain tar', () => {
  assert.equal(detectCompression(Uint8Array.from([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.equal(detectCompression(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  assert.equal(detectCompression(Buffer.from('etc/')), 'none');
});

test('chainIDs follows the OCI definition', () => {
  const a = sha256('a');
  const b = sha256('b');
  assert.deepEqual(chainIDs([a, b]), [a, sha256(`${a} ${b}`)]);
  assert.deepEqual(chainIDs([]), []);
});

test('applyLayer computes the same diffID for plain, gzip and zstd layers and reports the blob digest', async (t) => {
  const tar = await buildTar([
    { name: 'a/', type: 'directory', mode: 0o700 },
    { name: 'a/f', data: 'hello', mode: 0o640, mtime: new Date(1_600_000_000_000) },
    { name: 'a/s', type: 'symlink', linkname: 'f' },
    { name: 'a/h', type: 'link', linkname: 'a/f' },
  ]);
  const gz = gzipSync(tar);
  const zst = execFileSync('zstd', ['-q', '-c'], { input: tar });
  for (const [blob, kind] of [[tar, 'none'], [gz, 'gzip'], [zst, 'zstd']] as const) {
    const dir = tempDir(t);
    const r = await applyLayerBuffer(blob, dir);
    assert.equal(r.compression, kind);
    assert.equal(r.diffID, sha256(tar));
    assert.equal(r.size, tar.length);
    assert.equal(r.digest, sha256(blob));
    assert.equal(readFileSync(join(dir, 'a/f'), 'utf8'), 'hello');
    assert.equal(readlinkSync(join(dir, 'a/s')), 'f');
    const st = lstatSync(join(dir, 'a/f'));
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(st.mtimeMs, 1_600_000_000_000);
    assert.equal(st.nlink, 2);
    assert.equal(lstatSync(join(dir, 'a')).mode & 0o777, 0o700);
  }
});

test('applyLayer in flat mode removes whited-out paths and empties opaque dirs of older content', async (t) => {
  const dir = tempDir(t);
  await applyLayerBuffer(await buildTar([{ name: 'keep', data: '1' }, { name: 'gone', data: '2' }, { name: 'd/old', data: '3' }]), dir, { whiteouts: 'flat' });
  await applyLayerBuffer(await buildTar([{ name: '.wh.gone' }, { name: 'd/new', data: '4' }, { name: 'd/.wh..wh..opq' }]), dir, { whiteouts: 'flat' });
  assert.throws(() => lstatSync(join(dir, 'gone')));
  assert.throws(() => lstatSync(join(dir, 'd/old')));
  assert.equal(readFileSync(join(dir, 'd/new'), 'utf8'), '4');
  assert.equal(readFileSync(join(dir, 'keep'), 'utf8'), '1');
});

test('applyLayer keeps binary xattr values byte-exact and packTree writes them back the same', async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (security.* xattrs)');
  const { nativeSys } = await import('../sys/index.ts');
  const { packTree } = await import('./tree-pack.ts');
  const { buffer } = await import('node:stream/consumers');
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // vfs cap: cap_net_raw
  const bin = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
  const longName = `${'n'.repeat(120)}/é-file`;
  const tar = await buildTar([{ name: 'd/', type: 'directory' }, { name: longName, data: 'x' }]);
  const src = tempDir(t);
  await applyLayerBuffer(tar, src);
  nativeSys().lsetxattr(join(src, longName), 'security.capability', cap);
  nativeSys().lsetxattr(join(src, 'd'), 'user.bin', bin);
  const packed = await buffer(packTree(src));
  const dst = tempDir(t);
  await applyLayerBuffer(packed, dst);
  assert.deepEqual(nativeSys().lgetxattr(join(dst, longName), 'security.capability'), cap);
  assert.deepEqual(nativeSys().lgetxattr(join(dst, 'd'), 'user.bin'), bin);
  assert.equal(readFileSync(join(dst, longName), 'utf8'), 'x');
});

test('applyLayer re-resolves a directory that a later entry turned into a symlink, a file or a whiteout', async (t) => {
  const root = tempDir(t);
  const dir = join(root, 'layer');
  execFileSync('mkdir', ['-p', join(dir), join(root, 'etc')]);
  const big = Buffer.alloc(300 * 1024, 7); // written through the asynchronous path
  await applyLayerBuffer(
    await buildTar([
      { name: 'a/', type: 'directory' },
      { name: 'a/f', data: '1' },
      // 'a' becomes a symlink out of the layer: later entries below it land inside, clamped
      { name: 'a', type: 'symlink', linkname: '/etc' },
      { name: 'a/g', data: big },
      { name: 'b/c/', type: 'directory' },
      { name: 'b/c/x', data: '2' },
      { name: 'b', data: 'now a file' },
      { name: 'd/e/', type: 'directory' },
      { name: '.wh.d' },
      { name: 'd/e/y', data: '3' },
    ]),
    dir,
    { whiteouts: 'flat' },
  );
  assert.equal(readlinkSync(join(dir, 'a')), '/etc');
  assert.deepEqual(readFileSync(join(dir, 'etc/g')), big);
  assert.throws(() => lstatSync(join(root, 'etc/g')));
  assert.equal(readFileSync(join(dir, 'b'), 'utf8'), 'now a file');
  assert.equal(readFileSync(join(dir, 'd/e/y'), 'utf8'), '3');
  // a file where a later entry needs a directory is refused, not written through
  await assert.rejects(applyLayerBuffer(await buildTar([{ name: 'b/z', data: '4' }]), dir, { whiteouts: 'flat' }), /not a directory/);
});

test('applyLayer over readAhead: a refused layer closes the blob reader; a good one reads it in large chunks', async (t) => {
  const { readAhead } = await import('./decompress.ts');
  const reader = (data: Buffer) => {
    const r = {
      size: data.length,
      reads: 0,
      closed: false,
      async readAt(buf: Uint8Array, position: number) {
        r.reads++;
        const n = Math.min(buf.length, data.length - position);
        data.copy(buf, 0, position, position + n);
        return n;
      },
      async close() {
        r.closed = true;
      },
    };
    return r;
  };
  const bad = reader(gzipSync(await buildTar([{ name: 'ok', data: 'x'.repeat(100_000) }, { name: '../escape', data: 'no' }, { name: 'more', data: randomBytes(12_000_000) }])));
  await assert.rejects(applyLayer(readAhead(bad, 64 * 1024), tempDir(t)), /escapes the layer root/);
  for (let i = 0; i < 50 && !bad.closed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(bad.closed, true);
  const tar = await buildTar([{ name: 'big', data: Buffer.alloc(3_000_000, 1) }]);
  const good = reader(gzipSync(tar));
  const dir = tempDir(t);
  const r = await applyLayer(readAhead(good), dir, { knownDigest: sha256(Buffer.from('not hashed')) });
  assert.equal(r.diffID, sha256(tar));
  assert.equal(r.digest, sha256(Buffer.from('not hashed')), 'the known digest is reported, not recomputed');
  assert.equal(good.closed, true);
  assert.ok(good.reads <= 2, `${good.reads} reads`);
  assert.deepEqual(readFileSync(join(dir, 'big')), Buffer.alloc(3_000_000, 1));
});
