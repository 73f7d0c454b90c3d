import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { packContext } from './build-context.ts';

test('packContext tars the context without ignored files but always with the Dockerfile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-ctx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'secret'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(dir, 'app.txt'), 'app\n');
  writeFileSync(join(dir, 'secret', 'key'), 'k\n');
  writeFileSync(join(dir, 'secret', 'public.txt'), 'p\n');
  writeFileSync(join(dir, '.dockerignore'), 'secret\n!secret/public.txt\nDockerfile\n');
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, body, next) => {
    names.push(`${h.type}:${h.name}:${h.uid}`);
    body.on('end', next);
    body.resume();
  });
  const stream = await packContext(dir, { keep: ['Dockerfile'], extra: [{ name: '.extra', data: Buffer.from('x') }] });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.pipe(extract as unknown as NodeJS.WritableStream);
  });
  assert.deepEqual(names.sort(), ['file:.dockerignore:0', 'file:.extra:0', 'file:Dockerfile:0', 'file:app.txt:0', 'file:secret/public.txt:0'].sort());
});
