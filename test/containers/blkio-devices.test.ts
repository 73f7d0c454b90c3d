import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeHarness, runOut } from './harness.ts';

test('Blkio device limits land in the blkio cgroup as major:minor rates', async (t) => {
  const h = makeHarness('bc-blkio-');
  t.after(() => h.close());
  const dev = readFileSync('/sys/block/vda/dev', 'utf8').trim();
  const files = ['read_bps_device', 'write_bps_device', 'read_iops_device', 'write_iops_device'].map((f) => `/sys/fs/cgroup/blkio/blkio.throttle.${f}`);
  const r = await runOut(
    h,
    { cmd: ['cat', ...files] },
    {
      blkioDeviceReadBps: [{ path: '/dev/vda', rate: 1 << 20 }],
      blkioDeviceWriteBps: [{ path: '/dev/vda', rate: 2 << 20 }],
      blkioDeviceReadIOps: [{ path: '/dev/vda', rate: 300 }],
      blkioDeviceWriteIOps: [{ path: '/dev/vda', rate: 400 }],
    },
  );
  assert.equal(r.out, `${dev} ${1 << 20}\n${dev} ${2 << 20}\n${dev} 300\n${dev} 400\n`);

  await assert.rejects(runOut(h, { cmd: ['true'] }, { blkioDeviceReadBps: [{ path: '/dev/nope-disk', rate: 1 }] }), /stat \/dev\/nope-disk: no such file or directory/);
  await assert.rejects(h.svc.create({ config: h.config({ cmd: ['true'] }), hostConfig: h.hostConfig({ blkioWeight: 5 }) }), /Range of blkio weight is from 10 to 1000/);

  // update: the weight is recorded (this kernel may have no weight file: the runtime warns) and checked.
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sleep', '100'] }) });
  await h.svc.start(id);
  await h.svc.update(id, { blkioWeight: 300 });
  assert.equal(h.svc.get(id).hostConfig.blkioWeight, 300);
  await assert.rejects(h.svc.update(id, { blkioWeight: 2000 }), /Range of blkio weight is from 10 to 1000/);
});

test('DeviceCgroupRules allow opening device nodes the default rules refuse', async (t) => {
  const h = makeHarness('bc-devrule-');
  t.after(() => h.close());
  // Major 42 has no driver: the devices cgroup answers EPERM first, else the open fails with ENXIO.
  const probe = 'mknod /tmp/d c 42 0 && echo made; cat /tmp/d 2>&1; true';
  const refused = await runOut(h, { cmd: ['sh', '-c', probe] });
  assert.match(refused.out, /^made\n.*Operation not permitted/s);
  const allowed = await runOut(h, { cmd: ['sh', '-c', probe] }, { deviceCgroupRules: ['c 42:* rmw'] });
  assert.match(allowed.out, /^made\n.*No such device/s);
  const all = await runOut(h, { cmd: ['sh', '-c', probe] }, { deviceCgroupRules: ['a *:* rwm'] });
  assert.match(all.out, /^made\n.*No such device/s);
  const list = await runOut(h, { cmd: ['cat', '/sys/fs/cgroup/devices/devices.list'] }, { deviceCgroupRules: ['c 42:7 r', 'b 7:* rw'] });
  assert.match(list.out, /^c 42:7 r$/m);
  assert.match(list.out, /^b 7:\* rw$/m);
  await assert.rejects(runOut(h, { cmd: ['true'] }, { deviceCgroupRules: ['x 1:2 r'] }), /invalid device cgroup format 'x 1:2 r'/);
});
