import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCanKill, checkCanPause, checkCanRemove, checkCanStart, checkCanUnpause, checkCanExec,
  humanDuration, humanStatus, initialState, type ContainerState, type Status,
} from './state.ts';
import { errorCode } from '../lib/index.ts';

const st = (status: Status, extra: Partial<ContainerState> = {}): ContainerState => ({ ...initialState(), status, ...extra });
const code = (fn: () => void) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return errorCode(err);
  }
};

test('checkCanStart allows created/exited, 304 when running, 409 when paused', () => {
  assert.equal(code(() => checkCanStart('c', st('created'))), 'ok');
  assert.equal(code(() => checkCanStart('c', st('exited'))), 'ok');
  assert.equal(code(() => checkCanStart('c', st('running'))), 'not-modified');
  assert.equal(code(() => checkCanStart('c', st('paused'))), 'conflict');
  assert.equal(code(() => checkCanStart('c', st('removing'))), 'conflict');
});

test('kill/pause/unpause/exec guards match docker conflicts', () => {
  assert.equal(code(() => checkCanKill('c', st('exited'))), 'conflict');
  assert.equal(code(() => checkCanKill('c', st('paused'))), 'ok');
  assert.equal(code(() => checkCanPause('c', st('paused'))), 'conflict');
  assert.equal(code(() => checkCanPause('c', st('running'))), 'ok');
  assert.equal(code(() => checkCanUnpause('c', st('running'))), 'conflict');
  assert.equal(code(() => checkCanUnpause('c', st('paused'))), 'ok');
  assert.equal(code(() => checkCanExec('c', st('paused'))), 'conflict');
  assert.equal(code(() => checkCanExec('c', st('running'))), 'ok');
  assert.throws(() => checkCanKill('abc', st('created')), /Container abc is not running/);
});

test('checkCanRemove refuses running without force', () => {
  assert.throws(() => checkCanRemove('web', 'id', st('running'), false), /cannot remove container "\/web": container is running/);
  assert.equal(code(() => checkCanRemove('web', 'id', st('running'), true)), 'ok');
  assert.equal(code(() => checkCanRemove('web', 'id', st('exited'), false)), 'ok');
  assert.equal(code(() => checkCanRemove('web', 'id', st('removing'), true)), 'conflict');
});

test('humanStatus renders docker ps statuses', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  assert.equal(humanStatus(st('created'), now), 'Created');
  assert.equal(humanStatus(st('running', { startedAt: '2024-01-01T00:00:57Z' }), now), 'Up 3 seconds');
  assert.equal(humanStatus(st('paused', { startedAt: '2024-01-01T00:00:00Z' }), now), 'Up About a minute (Paused)');
  assert.equal(humanStatus(st('exited', { exitCode: 3, finishedAt: '2024-01-01T00:00:58Z' }), now), 'Exited (3) 2 seconds ago');
  assert.equal(
    humanStatus(st('running', { startedAt: '2024-01-01T00:00:00Z', health: { status: 'unhealthy', failingStreak: 3, log: [] } }), now),
    'Up About a minute (unhealthy)',
  );
});

test('humanDuration follows go-units', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(59_000), '59 seconds');
  assert.equal(humanDuration(600_000), '10 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3_600_000), '5 hours');
  assert.equal(humanDuration(72 * 3_600_000), '3 days');
});
