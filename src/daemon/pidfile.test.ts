import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquirePidfile } from './pidfile.ts';

test('acquirePidfile writes our pid, ignores dead or unrelated pids, and releases only its own file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-daemon-pid-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'berthd.pid');
  // A stale pid from a process that is gone.
  writeFileSync(path, '999999999\n');
  let release = acquirePidfile(path);
  assert.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  release();
  assert.equal(existsSync(path), false);

  // A live process that is not berthd (pid reuse after a crash) does not block.
  const sleeper = spawn('sleep', ['30']);
  t.after(() => sleeper.kill('SIGKILL'));
  writeFileSync(path, `${sleeper.pid}\n`);
  release = acquirePidfile(path);
  // Someone else took the file over: release leaves it alone.
  writeFileSync(path, '12345\n');
  release();
  assert.equal(readFileSync(path, 'utf8'), '12345\n');

  // A live berthd (its command line names berthd) blocks.
  const fake = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'berthd'], { stdio: 'ignore' });
  t.after(() => fake.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 100));
  writeFileSync(path, `${fake.pid}\n`);
  assert.throws(() => acquirePidfile(path), /pid file found, ensure berthd is not running or delete/);
});
