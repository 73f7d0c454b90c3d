import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildContext, cleanSource } from './context.ts';

function makeContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-builder-ctx-'));
  mkdirSync(join(dir, 'src/sub'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/x'), { recursive: true });
  writeFileSync(join(dir, 'src/a.c'), 'int a;');
  writeFileSync(join(dir, 'src/b.c'), 'int b;');
  writeFileSync(join(dir, 'src/sub/c.h'), '#define C');
  writeFileSync(join(dir, 'node_modules/x/i.js'), '1');
  writeFileSync(join(dir, 'app.log'), 'log');
  writeFileSync(join(dir, 'README.md'), 'hi');
  symlinkSync('src/a.c', join(dir, 'link'));
  writeFileSync(join(dir, '.dockerignore'), 'node_modules\n*.log\n');
  return dir;
}

test('BuildContext lists and resolves with .dockerignore applied', async (t) => {
  const dir = makeContext();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = await BuildContext.open(dir);
  const all = await ctx.list();
  assert.ok(all.includes('src/sub/c.h'));
  assert.ok(!all.some((p) => p.startsWith('node_modules')));
  assert.ok(!all.includes('app.log'));
  assert.deepEqual(await ctx.resolve(['src/*.c']), ['src/a.c', 'src/b.c']);
  assert.deepEqual(await ctx.resolve(['/README.md', '.']), ['README.md', '.']);
  await assert.rejects(ctx.resolve(['app.log']), /not found in the build context or excluded by .dockerignore/);
  await assert.rejects(ctx.resolve(['*.none']), /no source files were specified/);
});

test('BuildContext.checksum changes with content and mode, not with mtime', async (t) => {
  const dir = makeContext();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = await BuildContext.open(dir);
  const before = await ctx.checksum(['src']);
  utimesSync(join(dir, 'src/a.c'), new Date(0), new Date(0));
  assert.equal(await ctx.checksum(['src']), before);
  writeFileSync(join(dir, 'src/sub/c.h'), '#define D');
  const after = await ctx.checksum(['src']);
  assert.notEqual(after, before);
  assert.notEqual(await ctx.checksum(['README.md']), after);
});

test('cleanSource keeps sources inside the context', () => {
  assert.equal(cleanSource('/a/b/'), 'a/b');
  assert.equal(cleanSource('../../etc/passwd'), 'etc/passwd');
  assert.equal(cleanSource('./'), '.');
});
