import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { makeHarness, runOut, type Harness } from './harness.ts';

async function untilFile(h: Harness, id: string, path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { exit } = await h.svc.tasks.exec(id, `probe${i}`, h.svc.execProcess(h.svc.get(id), { args: ['test', '-e', path], env: [], user: { uid: 0, gid: 0, additionalGids: [] }, workingDir: '', tty: false, privileged: false }), { stdin: false, attach: false });
    if ((await exit) === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} never appeared in ${id}`);
}

test('PidMode container:<name> and host: the joined PID namespace shows its processes', async (t) => {
  const h = makeHarness('bc-ns-');
  t.after(() => h.close());
  const a = await h.svc.create({ name: 'pidsrc', config: h.config({ cmd: ['sleep', '1001'] }) });
  await assert.rejects(runOut(h, { cmd: ['ps'] }, { pidMode: 'container:pidsrc' }), /container [0-9a-f]{64} is not running/);
  await h.svc.start(a.id);
  const joined = await runOut(h, { cmd: ['ps', '-o', 'pid,args'] }, { pidMode: 'container:pidsrc' });
  assert.match(joined.out, /^\s*1 sleep 1001$/m, 'the target is pid 1 of the shared namespace');
  const apid = h.svc.get(a.id).state.pid;
  const ns = await runOut(h, { cmd: ['readlink', '/proc/self/ns/pid'] }, { pidMode: 'container:pidsrc' });
  assert.equal(ns.out.trim(), readlinkSync(`/proc/${apid}/ns/pid`));

  const host = await runOut(h, { cmd: ['sh', '-c', `test -d /proc/${process.pid} && echo sees-host; readlink /proc/self/ns/pid`] }, { pidMode: 'host' });
  assert.equal(host.out, `sees-host\n${readlinkSync('/proc/self/ns/pid')}\n`);

  await assert.rejects(runOut(h, { cmd: ['true'] }, { pidMode: 'container:nope' }), /cannot join PID of a non running container: nope: No such container: nope/);
  await assert.rejects(h.svc.create({ config: h.config({ cmd: ['true'] }), hostConfig: h.hostConfig({ pidMode: 'bogus' }) }), /invalid PID mode: bogus/);
});

test('IpcMode shareable, container:<name>, host and none: the shared /dev/shm and IPC namespace', async (t) => {
  const h = makeHarness('bc-ns-');
  t.after(() => h.close());
  const donor = await h.svc.create({ name: 'ipcsrc', config: h.config({ cmd: ['sh', '-c', 'echo from-donor > /dev/shm/f; sleep 1002'] }), hostConfig: h.hostConfig({ ipcMode: 'shareable' }) });
  await h.svc.start(donor.id);
  await untilFile(h, donor.id, '/dev/shm/f');
  const dpid = h.svc.get(donor.id).state.pid;

  const joined = await runOut(h, { cmd: ['sh', '-c', 'cat /dev/shm/f; echo back > /dev/shm/g; readlink /proc/self/ns/ipc'] }, { ipcMode: 'container:ipcsrc' });
  assert.equal(joined.out, `from-donor\n${readlinkSync(`/proc/${dpid}/ns/ipc`)}\n`);
  const { exit } = await h.svc.tasks.exec(donor.id, 'catg', h.svc.execProcess(h.svc.get(donor.id), { args: ['cat', '/dev/shm/g'], env: [], user: { uid: 0, gid: 0, additionalGids: [] }, workingDir: '', tty: false, privileged: false }), { stdin: false, attach: false });
  assert.equal(await exit, 0, 'the donor sees what the joiner wrote');

  const priv = await h.svc.create({ name: 'ipcpriv', config: h.config({ cmd: ['sleep', '1003'] }) });
  await h.svc.start(priv.id);
  await assert.rejects(runOut(h, { cmd: ['true'] }, { ipcMode: 'container:ipcpriv' }), /can't join IPC of container ipcpriv: non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
  await assert.rejects(runOut(h, { cmd: ['true'] }, { ipcMode: 'container:nope' }), /can't join IPC of container nope: No such container: nope/);

  const host = await runOut(h, { cmd: ['readlink', '/proc/self/ns/ipc'] }, { ipcMode: 'host' });
  assert.equal(host.out.trim(), readlinkSync('/proc/self/ns/ipc'));
  const none = await runOut(h, { cmd: ['sh', '-c', 'grep -c " /dev/shm " /proc/mounts || true'] }, { ipcMode: 'none' });
  assert.equal(none.out.trim(), '0', 'no /dev/shm with IpcMode none');
  await assert.rejects(h.svc.create({ config: h.config({ cmd: ['true'] }), hostConfig: h.hostConfig({ ipcMode: 'weird' }) }), /invalid IPC mode: weird/);

  // The donor's shm tmpfs goes away with its task, and with a task that could not start.
  await h.svc.stop(donor.id, { timeout: 0 });
  const failing = await h.svc.create({ config: h.config({ cmd: ['/no/such/binary'] }), hostConfig: h.hostConfig({ ipcMode: 'shareable' }) });
  await assert.rejects(h.svc.start(failing.id));
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes(`${donor.id}/mounts/shm`), 'shm unmounted after exit');
  assert.ok(!mounts.includes(`${failing.id}/mounts/shm`), 'shm unmounted after a failed start');
});

test('UTSMode host shares the host name; UsernsMode host is accepted', async (t) => {
  const h = makeHarness('bc-ns-');
  t.after(() => h.close());
  const r = await runOut(h, { cmd: ['sh', '-c', 'hostname; echo $HOSTNAME'] }, { utsMode: 'host', usernsMode: 'host' });
  assert.equal(r.out, `${hostname()}\n${hostname()}\n`);
  await assert.rejects(h.svc.create({ config: h.config({ cmd: ['true'], hostname: 'x1' }), hostConfig: h.hostConfig({ utsMode: 'host' }) }), /conflicting options: hostname and the UTS mode/);
  await assert.rejects(h.svc.create({ config: h.config({ cmd: ['true'] }), hostConfig: h.hostConfig({ usernsMode: 'private' }) }), /invalid USER mode: private/);
});
