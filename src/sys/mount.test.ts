import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactOverlayData, mountAll, parseMountOptions, unmount, MOUNT_DATA_MAX } from './mount.ts';
import { nativeSys } from './native.ts';

test('parseMountOptions splits flags, propagation and fs data', () => {
  const r = parseMountOptions(['ro', 'nosuid', 'rbind', 'rprivate', 'lowerdir=/a:/b', 'index=off']);
  assert.equal(r.flags, 0x1 | 0x2 | 0x1000 | 0x4000);
  assert.equal(r.propagation, 0x40000 | 0x4000);
  assert.deepEqual(r.data, ['lowerdir=/a:/b', 'index=off']);
  assert.equal(parseMountOptions(['ro', 'rw']).flags, 0);
});

test('compactOverlayData rewrites long overlay data relative to the common parent', () => {
  const base = '/var/lib/berth/with/a/rather/long/path/snapshots';
  const lowers = Array.from({ length: 150 }, (_, i) => `${base}/${i + 2}/fs`);
  const data = ['index=off', `workdir=${base}/1/work`, `upperdir=${base}/1/fs`, `lowerdir=${lowers.join(':')}`];
  const c = compactOverlayData(data)!;
  assert.equal(c.cwd, base);
  assert.equal(c.data[1], 'workdir=1/work');
  assert.ok(c.data[3]!.startsWith('lowerdir=2/fs:3/fs:'));
  assert.ok(c.data.join(',').length <= MOUNT_DATA_MAX);
  assert.equal(compactOverlayData(['lowerdir=/a:/b']), undefined, 'short data is left alone');
});

test('nativeSys: mknod, xattrs and errno-coded errors', (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (mknod, trusted.* xattrs)');
  const dir = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sys = nativeSys();
  sys.mknod(join(dir, 'wh'), 'c', 0, 0, 0);
  assert.ok(lstatSync(join(dir, 'wh')).isCharacterDevice());
  sys.mknod(join(dir, 'fifo'), 'p', 0o600, 0, 0);
  assert.ok(lstatSync(join(dir, 'fifo')).isFIFO());
  sys.lsetxattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
  sys.lsetxattr(dir, 'user.bin', Buffer.from([0, 1, 255]));
  assert.equal(sys.lgetxattr(dir, 'trusted.overlay.opaque').toString(), 'y');
  assert.deepEqual([...sys.lgetxattr(dir, 'user.bin')], [0, 1, 255]);
  assert.deepEqual(sys.llistxattr(dir).sort(), ['trusted.overlay.opaque', 'user.bin']);
  assert.throws(() => sys.lgetxattr(dir, 'user.none'), (e: NodeJS.ErrnoException) => e.code === 'ENODATA' && e.syscall === 'lgetxattr');
  assert.throws(() => sys.mknod(join(dir, 'wh'), 'c', 0, 0, 0), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
});

test('mountAll binds read-only and unmount undoes it', (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (mount)');
  const dir = mkdtempSync(join(tmpdir(), 'berth-mount-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'dst'));
  writeFileSync(join(dir, 'src', 'f'), 'x');
  mountAll([{ type: 'bind', source: join(dir, 'src'), options: ['rbind', 'ro'] }], join(dir, 'dst'));
  try {
    assert.equal(readFileSync(join(dir, 'dst', 'f'), 'utf8'), 'x');
    assert.throws(() => writeFileSync(join(dir, 'dst', 'g'), 'y'), (e: NodeJS.ErrnoException) => e.code === 'EROFS');
  } finally {
    unmount(join(dir, 'dst'));
  }
  assert.throws(() => unmount(join(dir, 'dst')), /unmount/);
  unmount(join(dir, 'dst'), { ignoreNotMounted: true });
});
