import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../lib/index.ts';
import { LocalContentStore, writeStream } from './index.ts';

const child = fileURLToPath(new URL('./testdata/crash-writer.ts', import.meta.url));

/** Runs crash-writer until it reports "ready", then SIGKILLs it; returns the offset it reached. */
async function ingestThenKill(root: string, ref: string, source: string, stopAt: number): Promise<number> {
  const p = spawn(process.execPath, ['--import', 'tsx', child, root, ref, source, String(stopAt)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => p.on('exit', (code, signal) => resolve(signal ?? code)));
  const offset = await new Promise<number>((resolve, reject) => {
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ready (\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    p.on('exit', (code) => reject(new Error(`crash-writer exited (${code}) before ready: ${err}`)));
  });
  assert.equal(p.kill('SIGKILL'), true);
  assert.equal(await exited, 'SIGKILL');
  return offset;
}

test('LocalContentStore survives kill -9 during an ingest: nothing served, retry resumes, prune cleans', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-content-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'content');
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const digest = sha256(data);
  const source = join(dir, 'source.bin');
  await writeFile(source, data);
  const half = Math.floor(data.length / 2);

  const offset = await ingestThenKill(root, 'pull-crash', source, half);
  assert.equal(offset, half);

  // A new process's view: the store is valid, the partial blob is invisible.
  const store = new LocalContentStore(root);
  assert.equal(await store.exists(digest), false);
  const blobs: string[] = [];
  await store.walk((i) => {
    blobs.push(i.digest);
  });
  assert.deepEqual(blobs, []);
  const st = await store.status('pull-crash');
  assert.equal(st.offset, half);
  assert.equal(st.expected, digest);
  assert.equal(st.total, data.length);

  // The retry asks for the bytes from the offset on disk only, and completes.
  const asked: number[] = [];
  const desc = await writeStream(store, 'pull-crash', (from) => {
    asked.push(from);
    return [data.subarray(from)];
  }, { expected: { digest, size: data.length } });
  assert.deepEqual(asked, [half]);
  assert.deepEqual(desc, { digest, size: data.length });
  assert.deepEqual(await store.readBlob({ digest }), data);

  // A second crashed ingest that nobody retries is removed as stale.
  const other = randomBytes(100_000);
  await writeFile(source, other);
  await ingestThenKill(root, 'pull-abandoned', source, 40_000);
  const fresh = new LocalContentStore(root);
  assert.deepEqual(await fresh.pruneIngests({ olderThan: new Date(Date.now() - 3_600_000) }), [], 'recent ingests are kept');
  assert.deepEqual(await fresh.pruneIngests({ olderThan: new Date(Date.now() + 1000) }), ['pull-abandoned']);
  assert.deepEqual(await readdir(join(root, 'ingest')), []);
  assert.equal(await fresh.exists(sha256(other)), false);
  assert.deepEqual(await fresh.readBlob({ digest }), data, 'committed blob untouched');
});
