import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerIgnore } from './dockerignore.ts';

test('DockerIgnore applies docker pattern rules', () => {
  const ig = DockerIgnore.parse(['# comment', '*.log', 'build', '**/*.tmp', 'docs/**', '!docs/keep.md', 'temp?', '/abs/x'].join('\n'));
  const cases: [string, boolean][] = [
    ['a.log', true],
    ['sub/a.log', false],
    ['build', true],
    ['build/out/bin', true],
    ['deep/er/f.tmp', true],
    ['f.tmp', true],
    ['docs/a.md', true],
    ['docs/keep.md', false],
    ['temp1', true],
    ['temp12', false],
    ['abs/x', true],
    ['src/main.c', false],
  ];
  for (const [path, want] of cases) assert.equal(ig.excludes(path), want, path);
});

test('DockerIgnore: the last matching pattern wins', () => {
  const ig = DockerIgnore.parse('*.md\n!README.md\nREADME*.md\n');
  assert.equal(ig.excludes('README.md'), true);
  assert.equal(DockerIgnore.parse('*.md\n!README.md').excludes('README.md'), false);
});

test('DockerIgnore rejects a bare exclamation mark', () => {
  assert.throws(() => DockerIgnore.parse('!\n'), /illegal exclusion pattern/);
});

test('DockerIgnore: leading slashes, ** directories and exceptions inside an excluded directory', () => {
  const ig = DockerIgnore.parse('# comment\n\n*.log\n/build\n**/node_modules\nsecret/*\n!secret/public.txt\n');
  const cases: [string, boolean][] = [
    ['app.log', true],
    ['src/app.log', false],
    ['build/out.o', true],
    ['a/b/node_modules/x.js', true],
    ['node_modules', true],
    ['secret/key', true],
    ['secret/public.txt', false],
  ];
  for (const [path, want] of cases) assert.equal(ig.excludes(path), want, path);
});
