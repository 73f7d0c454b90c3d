import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeHarness } from './harness.ts';
import { readLogs } from '../../src/containers/index.ts';

async function logsOf(path: string): Promise<string> {
  let out = '';
  for await (const e of readLogs(path)) out += e.line.toString();
  return out;
}

test('ContainerService runs a container to completion: logs, exit code, wait, remove', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({ name: 'echo1', config: h.config({ cmd: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] }) });
  const c = h.svc.get('echo1');
  assert.equal(c.state.status, 'created');
  assert.equal(readFileSync(c.hostnamePath, 'utf8'), id.slice(0, 12) + '\n');
  const waited = h.svc.wait(id, 'next-exit');
  await h.svc.start(id);
  const r = await waited;
  assert.equal(r.exitCode, 3);
  assert.equal(h.svc.get(id).state.status, 'exited');
  assert.equal(h.svc.get(id).state.exitCode, 3);
  assert.equal(await logsOf(c.logPath), 'hello\noops\n');
  const removed = h.svc.wait(id, 'removed');
  await h.svc.remove(id);
  await removed;
  assert.throws(() => h.svc.get(id), /No such container/);
  const actions = h.events.filter((e) => e.id === id).map((e) => e.action);
  assert.deepEqual(actions, ['create', 'start', 'die', 'destroy']);
});
