import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, berthProcess } from './harness.ts';

test('berth with no daemon prints one sentence and exits 1 (125 for run)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-down-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = `unix://${join(dir, 'none.sock')}`;
  const sentence = `Cannot connect to the Berth daemon at ${host}. Is the berthd daemon running?`;
  const ps = await berthProcess(['ps'], { env: { BERTH_HOST: host } });
  assert.equal(ps.code, 1);
  assert.equal(ps.stderr, sentence + '\n');
  assert.equal(ps.stdout, '');
  const run = await berth(host, ['run', '--rm', 'busybox', 'true']);
  assert.equal(run.code, 125);
  assert.equal(run.stderr, `berth: ${sentence}\n`);
  const viaFlag = await berthProcess(['-H', host, 'images'], { env: { BERTH_HOST: 'unix:///elsewhere.sock' } });
  assert.equal(viaFlag.stderr, sentence + '\n');
  assert.doesNotMatch(ps.stderr + run.stderr + viaFlag.stderr, /at .*\.ts:\d+|node:internal/);
});

test('berth usage errors exit 125 with a hint and --version needs no daemon', async () => {
  const host = 'unix:///nonexistent/berth.sock';
  const bad = await berth(host, ['run', '--bogus', 'busybox']);
  assert.equal(bad.code, 125);
  assert.equal(bad.stderr, "berth: unknown flag: --bogus\nSee 'berth run --help'.\n");
  const noArgs = await berth(host, ['logs']);
  assert.equal(noArgs.code, 125);
  assert.match(noArgs.stderr, /"berth logs" requires exactly 1 argument\./);
  const unknown = await berth(host, ['frobnicate']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /'frobnicate' is not a berth command/);
  const version = await berthProcess(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^Berth version \d+\.\d+\.\d+, build /);
  const help = await berth(host, ['run', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage:  berth run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]/);
  const group = await berth(host, ['container']);
  assert.match(group.stdout, /Commands:\n {2}attach/);
});
