import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from './harness.ts';

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('ContainerService.restore applies on-failure to containers that failed while the daemon was down', async (t) => {
  let h: Harness = makeHarness('bc-onfail-');
  t.after(() => h.close());
  const policy = { restartPolicy: { name: 'on-failure' as const, maximumRetryCount: 2 } };
  const failing = await h.svc.create({ name: 'onfail', config: h.config({ cmd: ['sh', '-c', 'sleep 1; exit 3'] }), hostConfig: h.hostConfig(policy) });
  const clean = await h.svc.create({ name: 'onfail-ok', config: h.config({ cmd: ['sh', '-c', 'sleep 1; exit 0'] }), hostConfig: h.hostConfig(policy) });
  for (const c of [failing, clean]) await h.svc.start(c.id);
  // The daemon goes away without stopping anything; both exit meanwhile.
  h.svc.close();
  h.db.close();
  await new Promise((r) => setTimeout(r, 2000));
  h = h.reopen();
  await h.svc.restore();
  await until('on-failure restarted after the restart', () => h.svc.get('onfail').restartCount >= 1);
  // Restarted at most MaximumRetryCount times, then left exited with its status.
  await until('retries used up', () => h.svc.get('onfail').restartCount === 2 && h.svc.get('onfail').state.status === 'exited');
  assert.equal(h.svc.get('onfail').state.exitCode, 3);
  const ok = h.svc.get('onfail-ok');
  assert.equal(ok.state.status, 'exited');
  assert.equal(ok.state.exitCode, 0);
  assert.equal(ok.restartCount, 0);
});
