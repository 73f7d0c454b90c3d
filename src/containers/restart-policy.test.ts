import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartManager, parseRestartPolicy } from './restart-policy.ts';

test('parseRestartPolicy reads docker forms', () => {
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  assert.deepEqual(parseRestartPolicy('always'), { name: 'always', maximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure', 2), { name: 'on-failure', maximumRetryCount: 2 });
  assert.throws(() => parseRestartPolicy('sometimes'), /unknown policy/);
  assert.throws(() => parseRestartPolicy('always:2'), /only be used with 'on-failure'/);
});

test('RestartManager: policies, retries, back-off doubling, reset after a long run', () => {
  const always = new RestartManager({ name: 'always', maximumRetryCount: 0 });
  assert.deepEqual(always.decide(0, 0, false, 10), { restart: true, delay: 100 });
  assert.deepEqual(always.decide(0, 1, false, 10), { restart: true, delay: 200 });
  assert.deepEqual(always.decide(0, 2, false, 10), { restart: true, delay: 400 });
  assert.deepEqual(always.decide(0, 3, false, 20_000), { restart: true, delay: 100 });
  assert.equal(always.decide(0, 4, true, 10).restart, false, 'stopped by the user');
  const onFailure = new RestartManager({ name: 'on-failure', maximumRetryCount: 2 });
  assert.equal(onFailure.decide(0, 0, false, 10).restart, false);
  assert.equal(onFailure.decide(1, 0, false, 10).restart, true);
  assert.equal(onFailure.decide(1, 1, false, 10).restart, true);
  assert.equal(onFailure.decide(1, 2, false, 10).restart, false);
  const no = new RestartManager({ name: 'no', maximumRetryCount: 0 });
  assert.equal(no.decide(1, 0, false, 10).restart, false);
  const capped = new RestartManager({ name: 'always', maximumRetryCount: 0 });
  let d = 0;
  for (let i = 0; i < 20; i++) d = capped.decide(1, i, false, 1).delay;
  assert.equal(d, 60_000);
});
