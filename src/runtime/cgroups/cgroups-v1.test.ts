import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CgroupV1Manager, createCgroupManager, detectCgroupMode, v1Hierarchies } from './index.ts';
import { dockerDefaultDeviceRules } from '../spec/index.ts';

function requireRoot(): void {
  assert.equal(process.getuid?.(), 0, 'cgroup tests write /sys/fs/cgroup and must run as root');
  assert.equal(detectCgroupMode(), 'v1', 'these tests need a cgroup v1 (legacy or hybrid) host, as this machine is');
}

function sleeper(): ChildProcess {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  assert.ok(child.pid, 'sleep started');
  return child;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim();
const procState = (pid: number) => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

test('CgroupV1Manager applies, limits, freezes, reports and removes a real cgroup', async (t) => {
  requireRoot();
  const path = `/berth-test-${randomBytes(4).toString('hex')}`;
  const mgr = new CgroupV1Manager(path);
  const child = sleeper();
  t.after(async () => {
    child.kill('SIGKILL');
    try {
      await mgr.remove();
    } catch {
      // already removed by the test
    }
  });
  const pid = child.pid!;
  mgr.apply(pid);
  for (const [ctrl, dir] of Object.entries(mgr.paths)) {
    assert.ok(read(dir, 'cgroup.procs').split('\n').includes(String(pid)), `${pid} in ${ctrl}`);
  }
  const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  assert.match(own, new RegExp(`:memory:${path}$`, 'm'));
  assert.match(own, new RegExp(`:pids:${path}$`, 'm'));

  const mem = mgr.paths['memory']!;
  const cpu = mgr.paths['cpu']!;
  const cpuset = mgr.paths['cpuset']!;
  const pids = mgr.paths['pids']!;
  const blkio = mgr.paths['blkio']!;
  const devices = mgr.paths['devices']!;
  // cpuset children start empty; apply copied the parent's
  assert.equal(read(cpuset, 'cpuset.cpus'), read(join(cpuset, '..'), 'cpuset.cpus'));
  assert.equal(read(cpuset, 'cpuset.mems'), read(join(cpuset, '..'), 'cpuset.mems'));

  const vda = readFileSync('/sys/block/vda/dev', 'utf8').trim().split(':').map(Number);
  assert.equal(vda.length, 2, 'a block device (vda) for throttle rules');
  const [major, minor] = vda as [number, number];
  mgr.set({
    memory: { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, swap: 128 * 1024 * 1024, swappiness: 10 },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 50 },
    blockIO: {
      weight: 500,
      throttleReadBpsDevice: [{ major, minor, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major, minor, rate: 100 }],
    },
    devices: [...dockerDefaultDeviceRules],
  });
  assert.equal(read(mem, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  assert.equal(read(mem, 'memory.soft_limit_in_bytes'), String(32 * 1024 * 1024));
  assert.equal(read(mem, 'memory.memsw.limit_in_bytes'), String(128 * 1024 * 1024));
  assert.equal(read(mem, 'memory.swappiness'), '10');
  assert.equal(read(cpu, 'cpu.shares'), '512');
  assert.equal(read(cpu, 'cpu.cfs_quota_us'), '50000');
  assert.equal(read(cpu, 'cpu.cfs_period_us'), '100000');
  assert.equal(read(cpuset, 'cpuset.cpus'), '0');
  assert.equal(read(pids, 'pids.max'), '50');
  const weightFile = existsSync(join(blkio, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight';
  assert.match(read(blkio, weightFile), /500/);
  assert.equal(read(blkio, 'blkio.throttle.read_bps_device'), `${major}:${minor} 1048576`);
  assert.equal(read(blkio, 'blkio.throttle.write_iops_device'), `${major}:${minor} 100`);
  const list = read(devices, 'devices.list').split('\n');
  assert.ok(!list.includes('a *:* rwm'), 'deny-all applied');
  for (const line of ['c 1:3 rwm', 'c 1:5 rwm', 'c 136:* rwm', 'c *:* m', 'b *:* m']) assert.ok(list.includes(line), `devices.list has ${line}`);

  // lowering the limit below the current memsw and memsw together: order matters
  mgr.set({ memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } });
  assert.equal(read(mem, 'memory.memsw.limit_in_bytes'), String(16 * 1024 * 1024));
  mgr.set({ memory: { limit: 256 * 1024 * 1024, swap: -1 } });
  assert.equal(read(mem, 'memory.limit_in_bytes'), String(256 * 1024 * 1024));
  mgr.set({ pids: { limit: -1 } });
  assert.equal(read(pids, 'pids.max'), 'max');

  await mgr.freeze(true);
  assert.equal(mgr.freezerState(), 'FROZEN');
  assert.equal(mgr.isFrozen(), true);
  assert.equal(procState(pid), 'D', 'a frozen task sleeps uninterruptibly');
  await mgr.freeze(false);
  assert.equal(mgr.freezerState(), 'THAWED');
  assert.equal(procState(pid), 'S');

  assert.deepEqual(mgr.pids(), [pid]);
  assert.equal(mgr.oomKilled(), false);
  assert.equal(mgr.dirs()['systemd'], mgr.paths['name=systemd']);
  assert.equal(mgr.dirs()['memory'], mem);
  const stats = mgr.stats();
  assert.equal(stats.pids?.current, 1);
  assert.equal(stats.pids?.limit, undefined, 'pids.max is max');
  // pages charged before the move stay with the old cgroup, so usage may be small
  assert.equal(typeof stats.memory?.usage, 'number', 'memory usage read');
  assert.equal(stats.memory?.limit, 256 * 1024 * 1024);
  assert.ok(typeof stats.memory?.stat['rss'] === 'number', 'memory.stat parsed');
  assert.ok((stats.cpu?.usageTotal ?? -1) >= 0, 'cpuacct.usage read');
  assert.ok(stats.cpu?.throttling !== undefined);
  assert.ok(Array.isArray(stats.blkio?.ioServiceBytes));

  await mgr.remove();
  for (const [ctrl, dir] of Object.entries(mgr.paths)) assert.equal(existsSync(dir), false, `${ctrl} cgroup removed`);
  assert.equal(existsSync(`/proc/${pid}/cgroup`) && !readFileSync(`/proc/${pid}/status`, 'utf8').includes('State:\tZ'), false, 'sleep killed');
});

test('CgroupV1Manager creates nested paths and copies cpuset at each level', async (t) => {
  requireRoot();
  const top = `/berth-test-${randomBytes(4).toString('hex')}`;
  const mgr = createCgroupManager(`${top}/a/b`);
  assert.ok(mgr instanceof CgroupV1Manager);
  const outer = new CgroupV1Manager(top);
  const child = sleeper();
  t.after(async () => {
    child.kill('SIGKILL');
    try {
      await mgr.remove();
    } catch {
      // ignore
    }
    await outer.remove();
  });
  mgr.apply(child.pid!);
  const cpusetRoot = v1Hierarchies()['cpuset']!;
  for (const p of [top, `${top}/a`, `${top}/a/b`]) {
    assert.notEqual(read(join(cpusetRoot, p), 'cpuset.cpus'), '', `cpuset.cpus of ${p}`);
  }
  assert.deepEqual(outer.pids(), [child.pid], 'pids() includes descendants');
  await mgr.remove();
  assert.equal(existsSync(join(cpusetRoot, top, 'a', 'b')), false);
  assert.equal(existsSync(join(cpusetRoot, top, 'a')), true, 'only the leaf is removed');
  await outer.remove();
  assert.equal(existsSync(join(cpusetRoot, top)), false);
});

test('CgroupV1Manager: cpuset siblings get cpus and mems from the kernel under a parent berth made, and by copy under one made by someone else', async (t) => {
  requireRoot();
  const top = `/berth-test-${randomBytes(4).toString('hex')}`;
  const cpusetRoot = v1Hierarchies()['cpuset']!;
  const rootFlag = read(cpusetRoot, 'cgroup.clone_children');
  const made: CgroupV1Manager[] = [];
  const make = (name: string) => {
    const m = new CgroupV1Manager(`${top}/${name}`);
    made.push(m);
    m.create();
    const dir = join(cpusetRoot, top, name);
    assert.notEqual(read(dir, 'cpuset.cpus'), '', `cpuset.cpus of ${name}`);
    assert.notEqual(read(dir, 'cpuset.mems'), '', `cpuset.mems of ${name}`);
    return m;
  };
  t.after(async () => {
    for (const m of made) await m.remove().catch(() => undefined);
    await new CgroupV1Manager(top).remove().catch(() => undefined);
  });
  make('one');
  assert.equal(read(join(cpusetRoot, top), 'cgroup.clone_children'), '1');
  make('two');
  // the parent removed and made again by someone else, without the flag: still filled in
  for (const m of made.splice(0)) await m.remove();
  await new CgroupV1Manager(top).remove();
  mkdirSync(join(cpusetRoot, top));
  writeFileSync(join(cpusetRoot, top, 'cpuset.cpus'), read(cpusetRoot, 'cpuset.cpus'));
  writeFileSync(join(cpusetRoot, top, 'cpuset.mems'), read(cpusetRoot, 'cpuset.mems'));
  assert.equal(read(join(cpusetRoot, top), 'cgroup.clone_children'), '0');
  make('three');
  assert.equal(read(join(cpusetRoot, top), 'cgroup.clone_children'), '0', "a parent made by someone else keeps its flag");
  assert.equal(read(cpusetRoot, 'cgroup.clone_children'), rootFlag, "the host's root cgroup is left as it was");
});

test('CgroupV1Manager.remove kills every process, forks included', async (t) => {
  requireRoot();
  const mgr = new CgroupV1Manager(`/berth-test-${randomBytes(4).toString('hex')}`);
  const child = spawn('sh', ['-c', 'read go; sleep 1000 & sleep 1000 & wait'], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(async () => {
    child.kill('SIGKILL');
    await mgr.remove();
  });
  mgr.apply(child.pid!);
  // the shell forks its two sleeps only once it is in the cgroup
  child.stdin!.write('go\n');
  const deadline = Date.now() + 5000;
  while (mgr.pids().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(mgr.pids().length, 3, 'sh and two sleeps in the cgroup');
  await mgr.remove();
  for (const dir of Object.values(mgr.paths)) assert.equal(existsSync(dir), false);
});

test('CgroupV1Manager.set rejects unified keys on v1 and names the missing cgroup', () => {
  requireRoot();
  const mgr = new CgroupV1Manager(`/berth-test-${randomBytes(4).toString('hex')}`);
  assert.throws(() => mgr.set({ unified: { 'memory.high': '1' } }), /needs cgroup v2/);
  assert.throws(() => mgr.set({ pids: { limit: 5 } }), /does not exist \(apply first\)/);
});
