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

test('ContainerService stop, kill, pause/unpause, restart with docker conflicts', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'trap "echo got-term; exit 7" TERM; while true; do sleep 0.1; done'] }) });
  await h.svc.start(id);
  await assert.rejects(h.svc.start(id), (e: Error & { code?: string }) => e.code === 'not-modified');
  await assert.rejects(h.svc.remove(id), /container is running: stop the container before removing or force remove/);
  await h.svc.pause(id);
  assert.equal(h.svc.get(id).state.status, 'paused');
  await assert.rejects(h.svc.pause(id), /is already paused/);
  await h.svc.unpause(id);
  assert.equal(h.svc.get(id).state.status, 'running');
  const top = await (await import('../../src/containers/index.ts')).top(h.svc, id);
  assert.ok(top.processes.some((p) => p.join(' ').includes('while true')), JSON.stringify(top));
  await new Promise((r) => setTimeout(r, 300));
  await h.svc.stop(id, { timeout: 5 });
  const c = h.svc.get(id);
  assert.equal(c.state.status, 'exited');
  assert.equal(c.state.exitCode, 7, 'the trap ran');
  await assert.rejects(h.svc.stop(id), (e: Error & { code?: string }) => e.code === 'not-modified');
  await assert.rejects(h.svc.kill(id), /is not running/);

  // A process that ignores SIGTERM is killed after the timeout.
  const { id: stubborn } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'] }) });
  await h.svc.start(stubborn);
  await h.svc.stop(stubborn, { timeout: 1 });
  assert.equal(h.svc.get(stubborn).state.exitCode, 137);

  await h.svc.restart(id, { timeout: 1 });
  assert.equal(h.svc.get(id).state.status, 'running');
  await h.svc.kill(id);
  assert.equal(h.svc.get(id).state.status, 'exited');
  assert.equal(h.svc.get(id).state.exitCode, 137);
});

test('ContainerService stop, kill and a forced remove leave no timer behind once the exit came', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const started = async () => {
    const { id } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'trap "exit 0" TERM; sleep 100 & wait'] }) });
    await h.svc.start(id);
    return id;
  };
  const [a, b, c] = [await started(), await started(), await started()];
  await new Promise((r) => setTimeout(r, 200));
  const before = timers();
  await h.svc.stop(a, { timeout: 60 });
  await h.svc.kill(b);
  await h.svc.remove(c, { force: true });
  await new Promise((r) => setTimeout(r, 100));
  // each used to leave its deadline (60 s, 10 s, 15 s) pending, holding a stopping daemon
  assert.ok(timers() <= before, `Timeout handles: ${before} before, ${timers()} after`);
});

test('ContainerService exec with exit codes, env and user', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sleep', '60'], env: ['FOO=bar'] }) });
  await h.svc.start(id);
  const run = async (cmd: string[], extra: Partial<import('../../src/containers/index.ts').ExecConfig> = {}) => {
    const execId = h.execs.create(id, {
      cmd, env: [], user: '', workingDir: '', tty: false, privileged: false, attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: '', ...extra,
    });
    const { PassThrough, Duplex } = await import('node:stream');
    const out: Buffer[] = [];
    const input = new PassThrough();
    const conn = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    });
    input.on('data', (b) => conn.push(b));
    await h.execs.start(execId, conn);
    const frames = Buffer.concat(out);
    let stdout = '';
    let stderr = '';
    for (let o = 0; o + 8 <= frames.length; ) {
      const size = frames.readUInt32BE(o + 4);
      const payload = frames.subarray(o + 8, o + 8 + size).toString();
      if (frames[o] === 2) stderr += payload;
      else stdout += payload;
      o += 8 + size;
    }
    return { stdout, stderr, exitCode: h.execs.get(execId).exitCode };
  };
  assert.deepEqual(await run(['sh', '-c', 'echo $FOO; echo e >&2; exit 5']), { stdout: 'bar\n', stderr: 'e\n', exitCode: 5 });
  assert.deepEqual(await run(['id', '-u'], { user: 'nobody' }), { stdout: '65534\n', stderr: '', exitCode: 0 });
  assert.deepEqual(await run(['pwd'], { workingDir: '/tmp', env: ['X=1'] }), { stdout: '/tmp\n', stderr: '', exitCode: 0 });
  const missing = await run(['/nonexistent']);
  assert.notEqual(missing.exitCode, 0);
});

test('ContainerService update and cgroup stats of a running container', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'x=$(head -c 2000000 /dev/zero | tr "\\0" a); sleep 60'] }), hostConfig: h.hostConfig({ memory: 64 << 20, pidsLimit: 50 }) });
  await h.svc.start(id);
  await new Promise((r) => setTimeout(r, 500));
  const s = await h.svc.tasks.stats(id);
  assert.equal(s.memoryLimit, 64 << 20);
  assert.ok(s.memoryUsage > 0);
  assert.ok(s.pidsCurrent >= 1);
  assert.equal(s.pidsLimit, 50);
  await h.svc.update(id, { memory: 128 << 20, memorySwap: 256 << 20 });
  assert.equal((await h.svc.tasks.stats(id)).memoryLimit, 128 << 20);
  assert.equal(h.svc.get(id).hostConfig.memory, 128 << 20);
  await h.svc.update(id, {}, { name: 'always', maximumRetryCount: 0 });
  assert.equal(h.svc.get(id).hostConfig.restartPolicy.name, 'always');
});

test('ContainerService rename, wait conditions and name conflicts', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const a = await h.svc.create({ name: 'alpha', config: h.config({ cmd: ['true'] }) });
  await assert.rejects(h.svc.create({ name: 'alpha', config: h.config({ cmd: ['true'] }) }), /is already in use by container/);
  await assert.rejects(h.svc.create({ name: 'x', config: h.config({ cmd: ['true'] }) }), /Invalid container name/);
  await assert.rejects(h.svc.create({ config: h.config({ image: 'nope', cmd: ['true'] }) }), /No such image: nope/);
  assert.deepEqual(await h.svc.wait(a.id, 'not-running'), { exitCode: 0 }, 'a created container is not running');
  await h.svc.rename('alpha', 'beta');
  assert.equal(h.svc.get('beta').id, a.id);
  assert.throws(() => h.svc.get('alpha'), /No such container/);
  assert.ok(h.events.some((e) => e.action === 'rename' && e.attributes['oldName'] === '/alpha'));
  const next = h.svc.wait('beta', 'next-exit');
  await h.svc.start('beta');
  assert.equal((await next).exitCode, 0);
  const gone = h.svc.wait('beta', 'removed');
  await h.svc.remove('beta');
  await gone;
});

test('DaemonContainerBackend prune removes stopped containers matching filters; list filters and limit', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { DaemonContainerBackend } = await import('../../src/daemon/containers-backend.ts');
  const { nullLogger } = await import('../../src/lib/index.ts');
  const backend = new DaemonContainerBackend(h.svc, h.execs, nullLogger);
  const keep = await h.svc.create({ name: 'keep', config: h.config({ cmd: ['true'], labels: { keep: '1' } }) });
  const drop = await h.svc.create({ name: 'drop', config: h.config({ cmd: ['true'] }) });
  const run = await h.svc.create({ name: 'run', config: h.config({ cmd: ['sleep', '60'] }) });
  await h.svc.start(run.id);
  const running = await backend.list({ all: false, limit: -1, size: false, filters: new Map() });
  assert.deepEqual(running.map((c) => c.Names[0]), ['/run']);
  const all = await backend.list({ all: true, limit: 2, size: false, filters: new Map() });
  assert.equal(all.length, 2);
  const r = await backend.prune(new Map([['label!', ['keep']]]));
  assert.deepEqual(r.ContainersDeleted, [drop.id]);
  assert.ok(h.svc.get(keep.id));
  assert.ok(h.svc.get(run.id));
});
