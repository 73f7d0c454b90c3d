import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toUnixTimestamp } from './container/logs.ts';
import { eventLine } from './system/events.ts';
import { startFailureStatus } from './container/run.ts';
import { parseDetachKeys } from './streams.ts';
import { splitCpArg } from './container/cp-tar.ts';
import { fullReference } from './image/pull.ts';
import { splitReference } from './image/pull-image.ts';
import { commandTable, resolveCommand } from './table.ts';

test('resolveCommand maps shortcuts, management commands and verb aliases', () => {
  assert.deepEqual(resolveCommand(['ps', '-a']), { path: 'container ls', rest: ['-a'], invokedAs: 'ps' });
  assert.deepEqual(resolveCommand(['container', 'list', '-q']), { path: 'container ls', rest: ['-q'], invokedAs: 'container list' });
  assert.deepEqual(resolveCommand(['image', 'pull', 'x']), { path: 'image pull', rest: ['x'], invokedAs: 'image pull' });
  assert.deepEqual(resolveCommand(['rmi', 'x']), { path: 'image rm', rest: ['x'], invokedAs: 'rmi' });
  assert.deepEqual(resolveCommand(['network', 'ls']), { path: 'network ls', rest: [], invokedAs: 'network ls' });
  assert.deepEqual(resolveCommand(['volume']), { group: 'volume' });
  assert.equal(resolveCommand(['nope']), undefined);
});

test('toUnixTimestamp reads relative durations, RFC 3339 and unix seconds', () => {
  const now = Date.UTC(2024, 0, 2, 12, 0, 0);
  assert.equal(toUnixTimestamp('10m', now), String((now - 600_000) / 1000) + '.000000000');
  assert.equal(toUnixTimestamp('1h30m', now), ((now - 5_400_000) / 1000).toFixed(9));
  assert.equal(toUnixTimestamp('2024-01-02T11:00:00Z', now), ((now - 3_600_000) / 1000).toFixed(9));
  assert.equal(toUnixTimestamp('1704196800', now), '1704196800');
});

test('eventLine prints events like docker events', () => {
  const line = eventLine({
    Type: 'container',
    Action: 'start',
    Actor: { ID: 'abc', Attributes: { name: 'web', image: 'busybox' } },
    scope: 'local',
    time: 1704196800,
    timeNano: 1704196800123456789,
  });
  assert.match(line, /^2024-01-02T12:00:00\.\d{9}Z container start abc \(image=busybox, name=web\)$/);
});

test('startFailureStatus maps start errors to docker exit codes', () => {
  assert.equal(startFailureStatus('exec: "nope": executable file not found in $PATH'), 127);
  assert.equal(startFailureStatus('exec /x: no such file or directory'), 127);
  assert.equal(startFailureStatus('exec: "/etc/passwd": permission denied'), 126);
  assert.equal(startFailureStatus('cgroup: device busy'), 125);
});

test('parseDetachKeys reads docker key sequences', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-@,a,ctrl-['), [0, 97, 27]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /invalid detach keys/);
});

test('splitCpArg, splitReference and fullReference', () => {
  assert.deepEqual(splitCpArg('web:/etc/hosts'), ['web', '/etc/hosts']);
  assert.deepEqual(splitCpArg('./a:b'), [undefined, './a:b']);
  assert.deepEqual(splitCpArg('/abs/path'), [undefined, '/abs/path']);
  assert.deepEqual(splitCpArg('-'), [undefined, '-']);
  assert.deepEqual(splitReference('busybox'), { name: 'busybox', tag: 'latest' });
  assert.deepEqual(splitReference('localhost:5000/app:v1'), { name: 'localhost:5000/app', tag: 'v1' });
  assert.deepEqual(splitReference('localhost:5000/app'), { name: 'localhost:5000/app', tag: 'latest' });
  assert.deepEqual(splitReference('app@sha256:abc'), { name: 'app@sha256:abc', tag: undefined });
  assert.equal(fullReference('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(fullReference('me/app:1'), 'docker.io/me/app:1');
  assert.equal(fullReference('localhost:5000/app:v1'), 'localhost:5000/app:v1');
});

test('commandTable summaries match each command spec and every help line is a single line', async () => {
  for (const [path, entry] of Object.entries(commandTable)) {
    const { spec } = (await entry.load()).command;
    assert.equal(entry.summary, spec.description, `summary of "${path}"`);
    assert.doesNotMatch(spec.description, /\n/, `description of "${path}"`);
    for (const f of spec.flags) {
      assert.ok(f.description.trim() !== '', `--${f.name} of "${path}" has a description`);
      assert.doesNotMatch(f.description, /\n/, `--${f.name} of "${path}"`);
    }
  }
});
