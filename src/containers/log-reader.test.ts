import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logTimeSeconds, parseLogLine, readLogs, type LogEntry } from './log-reader.ts';

const line = (log: string, stream: 'stdout' | 'stderr', time: string) => JSON.stringify({ log, stream, time }) + '\n';

async function collect(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(`${e.stream}:${e.line.toString()}`);
  return out;
}

async function tempDir(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-containers-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('parseLogLine reads docker json-file lines and ignores torn ones', () => {
  const e = parseLogLine('{"log":"hi\\n","stream":"stderr","time":"2024-01-01T00:00:00.5Z"}');
  assert.equal(e?.stream, 'stderr');
  assert.equal(e?.line.toString(), 'hi\n');
  assert.equal(parseLogLine('{"log":"hi'), undefined);
  assert.equal(logTimeSeconds('2024-01-01T00:00:01.250000000Z'), Date.parse('2024-01-01T00:00:01Z') / 1000 + 0.25);
});

test('readLogs reads rotated files oldest first, with stream selection, tail and since/until', async (t) => {
  const dir = await tempDir(t);
  const p = join(dir, 'c-json.log');
  await writeFile(`${p}.2`, line('a\n', 'stdout', '2024-01-01T00:00:01Z'));
  await writeFile(`${p}.1`, line('b\n', 'stderr', '2024-01-01T00:00:02Z') + line('c\n', 'stdout', '2024-01-01T00:00:03Z'));
  await writeFile(p, line('d\n', 'stdout', '2024-01-01T00:00:04Z') + '{"log":"torn');
  assert.deepEqual(await collect(readLogs(p)), ['stdout:a\n', 'stderr:b\n', 'stdout:c\n', 'stdout:d\n']);
  assert.deepEqual(await collect(readLogs(p, { stderr: false })), ['stdout:a\n', 'stdout:c\n', 'stdout:d\n']);
  assert.deepEqual(await collect(readLogs(p, { tail: 2 })), ['stdout:c\n', 'stdout:d\n']);
  assert.deepEqual(await collect(readLogs(p, { tail: 0 })), []);
  const base = Date.parse('2024-01-01T00:00:00Z') / 1000;
  assert.deepEqual(await collect(readLogs(p, { since: base + 2, until: base + 3 })), ['stderr:b\n', 'stdout:c\n']);
});

test('readLogs follow sees appends and continues across a rotation until stopped', async (t) => {
  const dir = await tempDir(t);
  const p = join(dir, 'c-json.log');
  await writeFile(p, line('one\n', 'stdout', '2024-01-01T00:00:01Z'));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const seen: string[] = [];
  const done = (async () => {
    for await (const e of readLogs(p, { follow: true, stopped, pollMs: 20 })) seen.push(e.line.toString());
  })();
  const waitFor = async (n: number) => {
    while (seen.length < n) await new Promise((r) => setTimeout(r, 10));
  };
  await waitFor(1);
  await appendFile(p, line('two\n', 'stdout', '2024-01-01T00:00:02Z'));
  await waitFor(2);
  // Rotation: a last line lands in the old file just before it is renamed away.
  await appendFile(p, line('three\n', 'stdout', '2024-01-01T00:00:03Z'));
  await rename(p, `${p}.1`);
  await writeFile(p, line('four\n', 'stdout', '2024-01-01T00:00:04Z'));
  await waitFor(4);
  await appendFile(p, line('five\n', 'stdout', '2024-01-01T00:00:05Z'));
  stop();
  await done;
  assert.deepEqual(seen, ['one\n', 'two\n', 'three\n', 'four\n', 'five\n']);
});
