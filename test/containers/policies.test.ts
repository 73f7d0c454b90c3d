import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness } from './harness.ts';
import { readLogs } from '../../src/containers/index.ts';

const until = async (what: string, pred: () => boolean, ms = 20000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('restart policy on-failure:2 restarts a crashing container twice, then leaves it exited', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({
    config: h.config({ cmd: ['sh', '-c', 'echo run; exit 4'] }),
    hostConfig: h.hostConfig({ restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } }),
  });
  await h.svc.start(id);
  await until('two restarts', () => h.svc.get(id).restartCount === 2 && h.svc.get(id).state.status === 'exited');
  const c = h.svc.get(id);
  assert.equal(c.state.exitCode, 4);
  let runs = 0;
  for await (const e of readLogs(c.logPath)) if (e.line.toString() === 'run\n') runs++;
  assert.equal(runs, 3);
  assert.equal(h.events.filter((e) => e.id === id && e.action === 'start').length, 3);
});

test('restart policy always: a user stop is final, kill -9 restarts', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({
    config: h.config({ cmd: ['sleep', '60'] }),
    hostConfig: h.hostConfig({ restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
  });
  await h.svc.start(id);
  await h.svc.kill(id, 'SIGKILL');
  await until('restart after kill', () => h.svc.get(id).state.status === 'running' && h.svc.get(id).restartCount === 1);
  await h.svc.stop(id, { timeout: 1 });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(h.svc.get(id).state.status, 'exited');
  assert.equal(h.svc.get(id).restartCount, 1);
});

test('healthcheck turns unhealthy, then healthy; AutoRemove removes on exit; --init is pid 1', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({
    config: h.config({
      cmd: ['sleep', '60'],
      healthcheck: { test: ['CMD-SHELL', 'test -e /tmp/ok'], interval: 100e6, timeout: 2e9, startPeriod: 0, startInterval: 0, retries: 2 },
    }),
  });
  await h.svc.start(id);
  assert.equal(h.svc.get(id).state.health?.status, 'starting');
  await until('unhealthy', () => h.svc.get(id).state.health?.status === 'unhealthy');
  assert.ok((h.svc.get(id).state.health?.failingStreak ?? 0) >= 2);
  const execId = h.execs.create(id, { cmd: ['touch', '/tmp/ok'], env: [], user: '', workingDir: '', tty: false, privileged: false, attachStdin: false, attachStdout: false, attachStderr: false, detachKeys: '' });
  await h.execs.start(execId, undefined);
  await until('healthy', () => h.svc.get(id).state.health?.status === 'healthy');
  assert.ok(h.events.some((e) => e.action === 'health_status: unhealthy'));
  assert.ok(h.events.some((e) => e.action === 'health_status: healthy'));

  const rm = await h.svc.create({ config: h.config({ cmd: ['true'] }), hostConfig: h.hostConfig({ autoRemove: true }) });
  const removed = h.svc.wait(rm.id, 'removed');
  await h.svc.start(rm.id);
  await removed;
  assert.equal(h.svc.store.get(rm.id), undefined);

  const init = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "'] }), hostConfig: h.hostConfig({ init: true }) });
  const done = h.svc.wait(init.id, 'next-exit');
  await h.svc.start(init.id);
  assert.equal((await done).exitCode, 0);
  let out = '';
  for await (const e of readLogs(h.svc.get(init.id).logPath)) out += e.line.toString();
  assert.match(out, /^\/sbin\/docker-init -- sh -c/);
});

test('finished execs leave no monitor files behind', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { readdirSync, existsSync } = await import('node:fs');
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sleep', '60'] }) });
  await h.svc.start(id);
  for (let i = 0; i < 3; i++) {
    const execId = h.execs.create(id, { cmd: ['true'], env: [], user: '', workingDir: '', tty: false, privileged: false, attachStdin: false, attachStdout: false, attachStderr: false, detachKeys: '' });
    await h.execs.start(execId, undefined);
  }
  await until('execs done', () => h.svc.get(id).execIds.every((e) => h.execs.get(e).exitCode === 0));
  await new Promise((r) => setTimeout(r, 300));
  const dir = `${h.root}/rt/${id.slice(0, 32)}/exec`;
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
});
