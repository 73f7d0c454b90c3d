import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Scratch } from './helpers.ts';
import { Runtime, CgroupV2Manager, deviceProgramIds, isCgroup2Mount } from '../../src/runtime/index.ts';

const UNIFIED = '/sys/fs/cgroup/unified';
const s = new Scratch('cg2');
after(() => s.remove());

test('Runtime with cgroupMode v2 enforces linux.resources.devices through the device program from the first instruction', async () => {
  assert.ok(isCgroup2Mount(UNIFIED), `${UNIFIED} must be a cgroup2 mount (hybrid host)`);
  const rt = new Runtime({ root: join(s.dir, 'state-v2'), cgroupMode: 'v2' });
  let cgroupsPath = '';
  const bundle = s.bundle(['sh', '-c', '(: < /dev/loop0) 2>&1; (: < /dev/loop1) && echo loop1-ok; (: <> /dev/null) && echo null-ok; sleep 60'], (spec) => {
    spec.linux!.devices = [
      { path: '/dev/loop0', type: 'b', major: 7, minor: 0, fileMode: 0o600 },
      { path: '/dev/loop1', type: 'b', major: 7, minor: 1, fileMode: 0o600 },
    ];
    spec.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 7, minor: 1, access: 'r' }] };
    cgroupsPath = spec.linux!.cgroupsPath!;
  });
  const id = s.id('dev');
  const outPath = join(s.dir, `${id}.out`);
  const fd = openSync(outPath, 'w');
  const nul = openSync('/dev/null', 'r');
  try {
    await rt.run(id, { bundle, detach: true, stdio: { mode: 'inherit', fds: [nul, fd, fd] } });
    const dir = new CgroupV2Manager(cgroupsPath, { root: UNIFIED }).path;
    assert.ok(existsSync(dir), `the container's cgroup is under the cgroup2 mount: ${dir}`);
    assert.equal(deviceProgramIds(dir).length, 1);
    const pid = (await rt.state(id)).pid;
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`^0::${cgroupsPath}$`, 'm'));
    const exec = await rt.exec(id, { process: { args: ['sh', '-c', '(: < /dev/loop0) 2>&1; (: > /dev/loop1) 2>&1; exit 0'], cwd: '/', user: { uid: 0, gid: 0 } }, stdio: { mode: 'inherit', fds: [nul, fd, fd] } });
    assert.equal((await exec.exit).exitCode, 0);
    await rt.update(id, { devices: [{ allow: false, access: 'rwm' }] });
    assert.equal(deviceProgramIds(dir).length, 1, 'update replaces the program');
    const again = await rt.exec(id, { process: { args: ['sh', '-c', '(: < /dev/loop1) 2>&1; (: < /dev/zero) && echo zero-ok; exit 0'], cwd: '/', user: { uid: 0, gid: 0 } }, stdio: { mode: 'inherit', fds: [nul, fd, fd] } });
    assert.equal((await again.exit).exitCode, 0);
    await rt.delete(id, { force: true });
    assert.equal(existsSync(dir), false, 'the cgroup is removed on delete');
  } finally {
    await rt.delete(id, { force: true }).catch(() => {});
    closeSync(fd);
    closeSync(nul);
  }
  const lines = readFileSync(outPath, 'utf8').trim().split('\n');
  assert.match(lines[0] ?? '', /can't open '?\/dev\/loop0'?: Operation not permitted/, 'loop0 has no rule: denied');
  assert.equal(lines[1], 'loop1-ok', 'b 7:1 r');
  assert.equal(lines[2], 'null-ok', 'the always-allowed devices are added to the rules');
  assert.match(lines[3] ?? '', /loop0'?: Operation not permitted/, 'an exec is in the same cgroup');
  assert.match(lines[4] ?? '', /loop1'?: Operation not permitted/, 'r without w');
  assert.match(lines[5] ?? '', /loop1'?: Operation not permitted/, 'after update nothing of 7:1 is allowed');
  assert.equal(lines[6], 'zero-ok', 'update keeps the always-allowed devices');
});
