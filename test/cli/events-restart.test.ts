import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { berth, busyboxTar, ok } from './harness.ts';

// docker keeps recent events in memory only; berthd also keeps them in <data-root>/events.jsonl,
// so `events --since` reaches back across a restart, a graceful one or a kill -9.
test('events --since/--until shows events from before a daemon restart (SIGTERM and SIGKILL)', async (t) => {
  const cleanups: (() => Promise<void>)[] = [];
  const daemons: TestDaemon[] = [];
  t.after(async () => {
    for (const d of daemons.slice(1).reverse()) await d.stop().catch(() => undefined);
    for (const fn of cleanups) await fn();
  });
  const first = await startDaemon({ after: (fn) => cleanups.push(fn) });
  daemons.push(first);
  const sfx = `ev${process.pid}`;
  const since = Math.floor(Date.now() / 1000) - 1;
  await ok(first.host, ['import', '-', 'busybox:latest'], { input: await busyboxTar() });
  await ok(first.host, ['run', '--rm', '--name', `before-kill-${sfx}`, 'busybox', 'true']);
  await first.kill();

  const second = await startDaemon({ after: () => Promise.resolve() }, { dir: first.dir });
  daemons.push(second);
  await ok(second.host, ['run', '--rm', '--name', `before-stop-${sfx}`, 'busybox', 'true']);
  await second.stop();

  const third = await startDaemon({ after: () => Promise.resolve() }, { dir: first.dir });
  daemons.push(third);
  const now = String(Math.ceil(Date.now() / 1000) + 1);
  const out = await ok(third.host, ['events', '--since', String(since), '--until', now, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
  const lines = out.split('\n').filter(Boolean);
  for (const n of [`before-kill-${sfx}`, `before-stop-${sfx}`]) {
    for (const action of ['create', 'start', 'die', 'destroy']) assert.ok(lines.includes(`container ${action} ${n}`), `${action} of ${n} in:\n${out}`);
  }
  assert.ok(lines.filter((l) => l === 'daemon start berthd').length >= 3, `three daemon starts in:\n${out}`);
  assert.ok(lines.indexOf(`container die before-kill-${sfx}`) < lines.indexOf(`container create before-stop-${sfx}`), 'in time order');
  // The window is honoured: nothing from before --since, and --until ends the stream.
  const later = await berth(third.host, ['events', '--since', now, '--until', now]);
  assert.equal(later.code, 0);
  assert.equal(later.stdout, '');
});
