import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discardDir, removeTree, sweepDiscarded } from './discard.ts';
import { nativeSys } from './native.ts';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rmtree-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('removeTree removes files, directories, hard links, fifos and symlinks, following none', async (t) => {
  const dir = scratch(t);
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'keep'), 'precious');
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'a', 'b', 'c'), { recursive: true });
  for (let i = 0; i < 300; i++) writeFileSync(join(tree, 'a', `f${i}`), String(i));
  writeFileSync(join(tree, 'a', 'b', 'c', 'deep'), 'x');
  linkSync(join(outside, 'keep'), join(tree, 'hard'));
  symlinkSync(outside, join(tree, 'link-to-dir'));
  symlinkSync(join(outside, 'keep'), join(tree, 'a', 'link-to-file'));
  execFileSync('mkfifo', [join(tree, 'fifo')]);
  await removeTree(tree);
  assert.equal(existsSync(tree), false);
  assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'precious');
  // a symlink given as the path is removed itself; a missing path is fine
  symlinkSync(outside, join(dir, 'top-link'));
  await removeTree(join(dir, 'top-link'));
  assert.equal(existsSync(join(dir, 'top-link')), false);
  assert.deepEqual(readdirSync(outside), ['keep']);
  await removeTree(join(dir, 'missing'));
  // trailing slashes name the directory itself
  mkdirSync(join(dir, 'slashed', 'x'), { recursive: true });
  await removeTree(join(dir, 'slashed') + '//');
  assert.equal(existsSync(join(dir, 'slashed')), false);
});

test('removeTree never enters a mount inside the tree: the rest goes, the mount stays, EBUSY', async (t) => {
  const dir = scratch(t);
  const tree = join(dir, 'tree');
  const mnt = join(tree, 'sub', 'mnt');
  mkdirSync(mnt, { recursive: true });
  writeFileSync(join(tree, 'sub', 'file'), 'x');
  // a bind of a directory on the same filesystem: same device, another mount
  const host = join(dir, 'host-data');
  mkdirSync(host);
  writeFileSync(join(host, 'keep'), 'precious');
  nativeSys().mount(host, mnt, '', 0x1000 /* MS_BIND */, '');
  const umount = (p: string) => {
    try {
      nativeSys().umount2(p, 2);
    } catch {
      // not mounted (any more)
    }
  };
  t.after(() => umount(mnt));
  await assert.rejects(removeTree(tree), { code: 'EBUSY', syscall: 'rm', path: tree });
  assert.equal(readFileSync(join(host, 'keep'), 'utf8'), 'precious');
  assert.equal(readFileSync(join(mnt, 'keep'), 'utf8'), 'precious');
  assert.equal(existsSync(join(tree, 'sub', 'file')), false);
  umount(mnt);
  await removeTree(tree);
  assert.equal(existsSync(tree), false);
  // a path that is itself a mount point is refused as well
  const top = join(dir, 'top');
  mkdirSync(top);
  nativeSys().mount(host, top, '', 0x1000, '');
  try {
    await assert.rejects(removeTree(top), { code: 'EBUSY' });
    assert.equal(readFileSync(join(host, 'keep'), 'utf8'), 'precious');
  } finally {
    umount(top);
  }
});

test('removeTree refuses relative paths, "/", "." and "..", and a tree deeper than its limit fails without leaving the walk half-open', async (t) => {
  // refused before anything is touched: "" would be the working directory
  for (const p of ['/', '', '.', 'relative/dir', '/.', '/tmp/..', '/tmp/x/../y', '/tmp/./x']) {
    await assert.rejects(removeTree(p), { code: 'EINVAL' }, JSON.stringify(p));
  }
  assert.ok(existsSync(process.cwd()));
  const dir = scratch(t);
  const deep = join(dir, 'deep');
  mkdirSync(deep);
  // built with relative steps: the absolute path would pass PATH_MAX
  const cwd = process.cwd();
  try {
    process.chdir(deep);
    for (let i = 0; i < 2100; i++) {
      mkdirSync('d');
      process.chdir('d');
    }
  } finally {
    process.chdir(cwd);
  }
  await assert.rejects(removeTree(deep), { code: 'ELOOP' });
  assert.equal(existsSync(deep), true);
  execFileSync('rm', ['-rf', deep]);
});

test('discardDir frees the name at once and removes the tree in the background; sweepDiscarded finishes leftovers', async (t) => {
  const dir = scratch(t);
  const victim = join(dir, 'victim');
  mkdirSync(join(victim, 'a'), { recursive: true });
  writeFileSync(join(victim, 'a', 'f'), 'x');
  discardDir(victim);
  assert.equal(existsSync(victim), false);
  for (let i = 0; i < 100 && readdirSync(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(readdirSync(dir), []);
  discardDir(join(dir, 'never-there'));
  // a discarded directory a crash left behind is collected by the sweep; other names are not
  mkdirSync(join(dir, '.removed-old-abc', 'x'), { recursive: true });
  mkdirSync(join(dir, 'live'));
  sweepDiscarded(dir);
  for (let i = 0; i < 100 && existsSync(join(dir, '.removed-old-abc')); i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(readdirSync(dir), ['live']);
});
