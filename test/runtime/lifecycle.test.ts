import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Scratch } from './helpers.ts';
import { isProcessAlive } from '../../src/sys/index.ts';
import type { Spec } from '../../src/runtime/index.ts';

const s = new Scratch('life');
after(() => s.remove());

function cgroupDirs(spec: Spec): string[] {
  return ['memory', 'pids', 'freezer', 'cpu', 'devices'].map((h) => join('/sys/fs/cgroup', h, spec.linux!.cgroupsPath!));
}

function specOf(bundle: string): Spec {
  return JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
}

function mountCount(): number {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(s.dir)).length;
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  return !isProcessAlive(pid);
}

test('create → start → kill → delete walks the states and leaves nothing behind', async () => {
  const mountsBefore = mountCount();
  const bundle = s.bundle(['sleep', '60']);
  const id = s.id('life');
  const rt = s.runtime;
  const created = await rt.create(id, { bundle, stdio: { mode: 'null' }, pidFile: join(s.dir, `${id}.pid`) });
  assert.equal(created.status, 'created');
  assert.equal(Number(readFileSync(join(s.dir, `${id}.pid`), 'utf8')), created.pid);
  assert.equal((await rt.state(id)).status, 'created');
  assert.deepEqual(await rt.ps(id), [created.pid]);
  await rt.start(id);
  assert.equal((await rt.state(id)).status, 'running');
  await assert.rejects(rt.start(id), { message: `start "${id}": container is running, not created` });
  await assert.rejects(rt.delete(id), { code: 'failed-precondition' });
  await rt.pause(id);
  assert.equal((await rt.state(id)).status, 'paused');
  await assert.rejects(rt.pause(id), { message: `pause "${id}": container is paused, not running` });
  await rt.resume(id);
  assert.equal((await rt.state(id)).status, 'running');
  await rt.kill(id, 'KILL');
  const exit = await rt.wait(id);
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.signal, 9);
  assert.equal((await rt.state(id)).status, 'stopped');
  await assert.rejects(rt.kill(id, 'TERM'), { message: `kill "${id}": container is stopped, not created, running or paused` });
  await rt.delete(id);
  assert.ok(await gone(created.pid));
  await assert.rejects(rt.state(id), { code: 'not-found', message: `state "${id}": container does not exist` });
  assert.equal(existsSync(join(s.root, id)), false);
  for (const d of cgroupDirs(specOf(bundle))) assert.equal(existsSync(d), false, d);
  assert.equal(mountCount(), mountsBefore);
});

test('kill and delete work in the created state', async () => {
  const rt = s.runtime;
  const a = s.id('created');
  const st = await rt.create(a, { bundle: s.bundle(['true']), stdio: { mode: 'null' } });
  await rt.delete(a);
  assert.ok(await gone(st.pid));
  const b = s.id('created');
  const st2 = await rt.create(b, { bundle: s.bundle(['true']), stdio: { mode: 'null' } });
  await rt.kill(b, 9);
  assert.equal((await rt.wait(b)).exitCode, 137);
  assert.equal((await rt.state(b)).status, 'stopped');
  await rt.delete(b);
  assert.ok(await gone(st2.pid));
});

test('delete --force kills a running and a paused container with all its processes', async () => {
  const rt = s.runtime;
  for (const pause of [false, true]) {
    const id = s.id('force');
    const bundle = s.bundle(['sh', '-c', 'sleep 60 & sleep 60 & wait']);
    const { state } = await rt.run(id, { bundle, stdio: { mode: 'null' }, detach: true });
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length < 3; i++) {
      pids = await rt.ps(id);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(pids.length, 3);
    if (pause) await rt.pause(id);
    await rt.delete(id, { force: true });
    for (const p of [state.pid, ...pids]) assert.ok(await gone(p), `pid ${p} survived`);
    for (const d of cgroupDirs(specOf(bundle))) assert.equal(existsSync(d), false, d);
  }
});

test('kill --all signals every process of the container', async () => {
  const rt = s.runtime;
  const id = s.id('all');
  const { state } = await rt.run(id, { bundle: s.bundle(['sh', '-c', 'trap "" TERM; sleep 60 & wait']), stdio: { mode: 'null' }, detach: true });
  let pids: number[] = [];
  for (let i = 0; i < 100 && pids.length < 2; i++) {
    pids = await rt.ps(id);
    await new Promise((r) => setTimeout(r, 10));
  }
  await rt.kill(id, 'SIGKILL', { all: true });
  assert.equal((await rt.wait(id)).signal, 9);
  for (const p of [state.pid, ...pids]) assert.ok(await gone(p));
  await rt.delete(id);
});

test('exec joins every namespace of the running container', async () => {
  const rt = s.runtime;
  const id = s.id('exec');
  const bundle = s.bundle(['sleep', '60'], (spec) => {
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    spec.mounts = spec.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
  });
  const { state } = await rt.run(id, { bundle, stdio: { mode: 'null' }, detach: true });
  try {
    const nss = ['ipc', 'mnt', 'net', 'pid', 'uts', 'user', 'cgroup'];
    const outPath = join(s.dir, `${id}.exec`);
    const fd = openSync(outPath, 'w');
    const res = await rt.exec(id, {
      process: { args: ['sh', '-c', `for n in ${nss.join(' ')}; do readlink /proc/self/ns/$n; done; hostname; echo pid=$$`], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin'] },
      stdio: { mode: 'inherit', fds: [fd, fd, fd] },
    });
    closeSync(fd);
    assert.equal((await res.exit).exitCode, 0);
    const lines = readFileSync(outPath, 'utf8').trim().split('\n');
    const want = nss.map((n) => readlinkSync(`/proc/${state.pid}/ns/${n}`));
    assert.deepEqual(lines.slice(0, nss.length), want);
    assert.equal(lines[nss.length], 'berth-test');
    assert.notEqual(lines[nss.length + 1], 'pid=1');
    assert.ok((await rt.ps(id)).includes(state.pid));
  } finally {
    await rt.delete(id, { force: true });
  }
});

test('hooks run in order with the state on stdin', async () => {
  const rt = s.runtime;
  const id = s.id('hooks');
  const hookDir = join(s.dir, `${id}-hooks`);
  mkdirSync(hookDir);
  const log = join(hookDir, 'log');
  const host = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${name} >> ${log}; cat > ${hookDir}/${name}.json`] });
  const bundle = s.bundle(['sh', '-c', `echo process >> /hooks/log`], (spec) => {
    spec.mounts!.push({ destination: '/hooks', type: 'bind', source: hookDir, options: ['rbind', 'rw'] });
    spec.root!.readonly = false;
    spec.hooks = {
      prestart: [host('prestart')],
      createRuntime: [host('createRuntime')],
      createContainer: [host('createContainer')],
      startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo startContainer >> /hooks/log'] }],
      poststart: [host('poststart')],
      poststop: [host('poststop')],
    };
  });
  await rt.create(id, { bundle, stdio: { mode: 'null' } });
  await rt.start(id);
  await rt.wait(id);
  await rt.delete(id);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  // the process itself races with poststart, which only has to follow start
  assert.deepEqual(lines.filter((l) => l !== 'process'), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  assert.ok(lines.indexOf('process') > lines.indexOf('startContainer') && lines.indexOf('process') < lines.indexOf('poststop'));
  const st = JSON.parse(readFileSync(join(hookDir, 'createRuntime.json'), 'utf8')) as { id: string; pid: number; bundle: string };
  assert.equal(st.id, id);
  assert.equal(st.bundle, bundle);
  assert.ok(st.pid > 0);
});

test('a failing createRuntime hook fails create and leaves nothing behind', async () => {
  const rt = s.runtime;
  const id = s.id('badhook');
  const bundle = s.bundle(['true'], (spec) => {
    spec.hooks = { createRuntime: [{ path: '/bin/false', args: ['false'] }] };
  });
  await assert.rejects(rt.create(id, { bundle, stdio: { mode: 'null' } }), { message: `create "${id}": createRuntime hook "/bin/false": exit status 1` });
  assert.equal(existsSync(join(s.root, id)), false);
  for (const d of cgroupDirs(specOf(bundle))) assert.equal(existsSync(d), false, d);
});

test('bad input gives precise errors and leaves nothing behind', async () => {
  const rt = s.runtime;
  const bad = join(s.dir, 'bad-bundle');
  mkdirSync(bad);
  writeFileSync(join(bad, 'config.json'), '{ not json');
  await assert.rejects(rt.create('c-bad', { bundle: bad }), (err: Error) => /^create "c-bad": parse ".*config.json": /.test(err.message));
  const noRoot = s.bundle(['true'], (spec) => {
    spec.root!.path = '/nonexistent-rootfs';
  });
  await assert.rejects(rt.create('c-noroot', { bundle: noRoot }), { code: 'not-found', message: 'create "c-noroot": rootfs "/nonexistent-rootfs": no such directory' });
  await assert.rejects(rt.create('c-nobundle', { bundle: join(s.dir, 'missing') }), { code: 'not-found' });
  await assert.rejects(rt.start('c-unknown'), { code: 'not-found', message: 'start "c-unknown": container does not exist' });
  await assert.rejects(rt.create('../x', { bundle: noRoot }), { code: 'invalid-argument' });
  const badMount = s.bundle(['true'], (spec) => {
    spec.mounts!.push({ destination: '/mnt', type: 'nosuchfs', source: 'none' });
  });
  await assert.rejects(rt.create('c-mount', { bundle: badMount, stdio: { mode: 'null' } }), { message: 'create "c-mount": mount "/mnt": no such device' });
  const id = s.id('dup');
  await rt.create(id, { bundle: s.bundle(['true']), stdio: { mode: 'null' } });
  await assert.rejects(rt.create(id, { bundle: s.bundle(['true']) }), { code: 'already-exists' });
  await rt.delete(id);
  assert.deepEqual((await rt.list()).map((c) => c.id), []);
});

test('the monitor writes the json-file log and serves attach', async () => {
  const rt = s.runtime;
  const id = s.id('log');
  const logPath = join(s.dir, `${id}.log`);
  await rt.create(id, { bundle: s.bundle(['sh', '-c', 'read line; echo "got $line"; echo err >&2']), stdio: { mode: 'log', logPath, openStdin: true } });
  const { connectAttach } = await import('../../src/sys/index.ts');
  const sock = await connectAttach(rt.paths(id).attach);
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  await rt.start(id);
  sock.write('hello\n');
  const exit = await rt.wait(id);
  assert.equal(exit.exitCode, 0);
  const entries = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
  assert.deepEqual(entries.map((e) => [e.stream, e.log]).sort(), [['stderr', 'err\n'], ['stdout', 'got hello\n']]);
  assert.ok(entries.every((e) => !Number.isNaN(Date.parse(e.time))));
  await new Promise((r) => setTimeout(r, 50));
  const all = Buffer.concat(chunks);
  assert.equal(all[0], 1);
  assert.equal(all.readUInt32BE(4), 'got hello\n'.length);
  assert.equal(all.subarray(8, 8 + all.readUInt32BE(4)).toString(), 'got hello\n');
  sock.destroy();
  await rt.delete(id);
});

test('a hook over its timeout fails create', async () => {
  const rt = s.runtime;
  const id = s.id('slowhook');
  const bundle = s.bundle(['true'], (spec) => {
    spec.hooks = { prestart: [{ path: '/bin/sleep', args: ['sleep', '5'], timeout: 1 }] };
  });
  await assert.rejects(rt.create(id, { bundle, stdio: { mode: 'null' } }), { message: `create "${id}": prestart hook "/bin/sleep": timed out after 1s` });
  assert.equal(existsSync(join(s.root, id)), false);
});

/** ppid and session of a process, from /proc/<pid>/stat. */
function statOf(pid: number): { ppid: number; session: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [, ppid, , session] = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(ppid), session: Number(session) };
}

test("the monitor is the runtime process's child in a session of its own, and is reaped when it exits", async () => {
  const bundle = s.bundle(['sleep', '60']);
  const id = s.id('reap');
  const rt = s.runtime;
  const created = await rt.create(id, { bundle, stdio: { mode: 'null' } });
  const monitor = statOf(created.pid).ppid;
  assert.deepEqual(statOf(monitor), { ppid: process.pid, session: monitor });
  await rt.start(id);
  await rt.kill(id, 'KILL');
  await rt.wait(id);
  await rt.delete(id);
  // gone from /proc entirely: not left a zombie
  for (let i = 0; i < 200 && existsSync(`/proc/${monitor}`); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(existsSync(`/proc/${monitor}`), false, `monitor ${monitor} was not reaped`);
});

test('a spec handed over in memory needs no bundle/config.json, and is validated as the file would be', async () => {
  const bundle = s.bundle(['sh', '-c', 'exit 7']);
  const spec = specOf(bundle);
  rmSync(join(bundle, 'config.json'));
  const rt = s.runtime;
  const id = s.id('given');
  const r = await rt.run(id, { bundle, spec, stdio: { mode: 'null' } });
  assert.equal(r.exit?.exitCode, 7);
  await rt.delete(id);
  const bad = { ...spec, process: { ...spec.process!, args: [] } };
  await assert.rejects(rt.run(s.id('given-bad'), { bundle, spec: bad, stdio: { mode: 'null' } }), { code: 'invalid-argument', message: /process\.args/ });
  await assert.rejects(rt.run(s.id('given-none'), { bundle, stdio: { mode: 'null' } }), { code: 'not-found', message: /config\.json": no such file or directory/ });
});
