import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-fs.ts';

test('writeFileAtomic replaces the file and leaves no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-atomic-'));
  try {
    await writeFileAtomic(join(dir, 'a.json'), 'one');
    writeFileAtomicSync(join(dir, 'a.json'), 'two');
    assert.equal(readFileSync(join(dir, 'a.json'), 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir), ['a.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
