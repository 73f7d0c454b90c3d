import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDaemon } from '../helpers/daemon.ts';
import { berth, ok, daemonOptions } from './harness.ts';

test('berth version, info and system df against a real berthd', async (t) => {
  const d = await startDaemon(t, daemonOptions);
  const version = await ok(d.host, ['version']);
  assert.match(version, /^Client:\n Version: +\d/);
  assert.match(version, /\nServer: .*\n Engine:\n {2}Version: +\S+\n {2}API version: +1\.\d+ \(minimum version 1\.\d+\)/);
  assert.equal((await ok(d.host, ['version', '--format', '{{.Server.ApiVersion}}'])).trim(), '1.45');
  const infoRun = await berth(d.host, ['info']);
  assert.equal(infoRun.code, 0, infoRun.stderr);
  const info = infoRun.stdout;
  assert.match(info, /\n Containers: 0\n {2}Running: 0\n/);
  // docker's warnings for blkio controls this kernel lacks, printed once each (no doubled prefix).
  const weight = existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');
  assert.equal(/^WARNING: No blkio weight support$/m.test(infoRun.stderr), !weight, infoRun.stderr);
  assert.doesNotMatch(infoRun.stderr, /WARNING: WARNING:/);
  assert.match(info, /\n Storage Driver: /);
  assert.match(await ok(d.host, ['info', '--format', '{{.OSType}}/{{.Architecture}}']), /^linux\/\S+\n$/);
  const df = await ok(d.host, ['system', 'df']);
  assert.match(df, /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\nImages {10}0 /);
});

test('berth volume create, ls, inspect, rm and prune against a real berthd', async (t) => {
  const d = await startDaemon(t, daemonOptions);
  assert.equal(await ok(d.host, ['volume', 'create', '--label', 'team=cli', 'vol-a']), 'vol-a\n');
  const anon = (await ok(d.host, ['volume', 'create'])).trim();
  assert.match(anon, /^[0-9a-f]{64}$/);
  const ls = await ok(d.host, ['volume', 'ls']);
  assert.match(ls, /^DRIVER {4}VOLUME NAME\n/);
  assert.match(ls, /\nlocal {5}vol-a\n/);
  assert.equal(await ok(d.host, ['volume', 'ls', '-q', '--filter', 'label=team=cli']), 'vol-a\n');
  assert.equal(await ok(d.host, ['volume', 'ls', '--format', '{{.Name}}:{{.Label "team"}}', '-f', 'name=vol-a']), 'vol-a:cli\n');
  const inspected = JSON.parse(await ok(d.host, ['volume', 'inspect', 'vol-a'])) as { Name: string; Labels: Record<string, string> }[];
  assert.equal(inspected[0]?.Name, 'vol-a');
  assert.deepEqual(inspected[0]?.Labels, { team: 'cli' });
  assert.equal(await ok(d.host, ['inspect', '--type', 'volume', '-f', '{{.Driver}}', 'vol-a']), 'local\n');
  const missing = await berth(d.host, ['volume', 'inspect', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error response from daemon: .*nope/);
  assert.equal(missing.stdout, '[]\n');
  assert.equal(await ok(d.host, ['volume', 'rm', 'vol-a']), 'vol-a\n');
  const gone = await berth(d.host, ['volume', 'rm', 'vol-a']);
  assert.equal(gone.code, 1);
  const pruned = await ok(d.host, ['volume', 'prune', '-f']);
  assert.match(pruned, new RegExp(`Deleted Volumes:\\n${anon}\\n`));
  assert.match(pruned, /Total reclaimed space: /);
  assert.equal(await ok(d.host, ['volume', 'ls', '-q']), '');
});

test('berth events shows what happened between --since and --until', async (t) => {
  const d = await startDaemon(t, daemonOptions);
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await ok(d.host, ['volume', 'create', 'ev-vol']);
  await ok(d.host, ['volume', 'rm', 'ev-vol']);
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const out = await ok(d.host, ['events', '--since', since, '--until', until]);
  assert.match(out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z volume create ev-vol/m);
  assert.match(out, /volume destroy ev-vol/);
  const fmt = await ok(d.host, ['events', '--since', since, '--until', until, '--filter', 'event=create', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}']);
  assert.equal(fmt, 'volume create ev-vol\n');
});
