import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isInvalidArgument } from '../../lib/index.ts';
import {
  CgroupV2Manager, blkioWeightToIoWeight, createCgroupManager, detectCgroupMode, expandSlice, isCgroup2Mount,
  resolveCgroupsPath, sharesToWeight, swapToV2,
} from './index.ts';

const UNIFIED = '/sys/fs/cgroup/unified';
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim();
const procState = (pid: number) => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

test('CgroupV2Manager creates, applies, freezes and removes a real cgroup2 cgroup', async (t) => {
  assert.equal(process.getuid?.(), 0, 'cgroup tests write /sys/fs/cgroup and must run as root');
  assert.ok(isCgroup2Mount(UNIFIED), `${UNIFIED} must be a cgroup2 mount (hybrid host)`);
  const mgr = new CgroupV2Manager(`/berth-test-${randomBytes(4).toString('hex')}/ctr`, { root: UNIFIED });
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.after(async () => {
    child.kill('SIGKILL');
    await mgr.remove();
    if (existsSync(join(mgr.path, '..'))) rmdirSync(join(mgr.path, '..'));
  });
  const pid = child.pid!;
  mgr.apply(pid);
  assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`^0::${mgr.path.slice(UNIFIED.length)}$`, 'm'));
  assert.deepEqual(mgr.pids(), [pid]);
  const parent = new CgroupV2Manager(join(mgr.path, '..').slice(UNIFIED.length), { root: UNIFIED });
  assert.deepEqual(parent.pids(), [pid], 'pids() includes descendants');

  await mgr.freeze(true);
  assert.equal(mgr.isFrozen(), true);
  assert.equal(read(mgr.path, 'cgroup.freeze'), '1');
  assert.equal(procState(pid), 'S', 'frozen v2 tasks sit in the signal-delivery stop');
  await mgr.freeze(false);
  assert.equal(mgr.isFrozen(), false);

  const stats = mgr.stats();
  assert.ok(stats.cpu && stats.cpu.usageTotal >= 0, 'cpu.stat is core in v2');

  // hugetlb is the one controller this hybrid host gives cgroup2: apply enabled it down the tree
  mgr.set({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * 1024 * 1024 }], unified: { 'hugetlb.2MB.rsvd.max': String(2 * 1024 * 1024) } });
  assert.equal(read(mgr.path, 'hugetlb.2MB.max'), String(4 * 1024 * 1024));
  assert.equal(read(mgr.path, 'hugetlb.2MB.rsvd.max'), String(2 * 1024 * 1024));
  assert.throws(() => mgr.set({ unified: { 'memory.max': '1' } }), /no such file \(is the memory controller enabled\?\)/);

  await mgr.remove();
  assert.equal(existsSync(mgr.path), false);
  assert.equal(parent.pids().length, 0, 'sleep killed through cgroup.kill');
  rmdirSync(parent.path);
});

function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-cgroups-'));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  return root;
}

test('CgroupV2Manager.set writes the v2 files with crun\'s conversions', (t) => {
  const root = fakeRoot();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const mgr = createCgroupManager('/berth/c1', { mode: 'v2', root });
  assert.ok(mgr instanceof CgroupV2Manager);
  mgr.apply(4242);
  const dir = join(root, 'berth', 'c1');
  assert.equal(read(dir, 'cgroup.procs'), '4242');
  assert.equal(read(root, 'cgroup.subtree_control'), '+cpuset +cpu +io +memory +hugetlb +pids', 'controllers enabled in the root');
  // unified keys must name an existing file, as the kernel's cgroup files are
  writeFileSync(join(dir, 'memory.high'), 'max');
  mgr.set({
    memory: { limit: 100 * 1024 * 1024, reservation: 50 * 1024 * 1024, swap: 300 * 1024 * 1024 },
    cpu: { shares: 1024, quota: 20000, period: 50000, cpus: '0-1', mems: '0', burst: 1000, idle: 0 },
    pids: { limit: 100 },
    blockIO: { weight: 500, throttleWriteBpsDevice: [{ major: 254, minor: 0, rate: 2048 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    unified: { 'memory.high': '90000000' },
  });
  assert.equal(read(dir, 'memory.max'), String(100 * 1024 * 1024));
  assert.equal(read(dir, 'memory.low'), String(50 * 1024 * 1024));
  assert.equal(read(dir, 'memory.swap.max'), String(200 * 1024 * 1024), 'swap.max = swap - limit');
  assert.equal(read(dir, 'cpu.weight'), '100', '1024 shares → weight 100');
  assert.equal(read(dir, 'cpu.max'), '20000 50000');
  assert.equal(read(dir, 'cpu.max.burst'), '1000');
  assert.equal(read(dir, 'cpuset.cpus'), '0-1');
  assert.equal(read(dir, 'pids.max'), '100');
  assert.equal(read(dir, 'io.weight'), String(blkioWeightToIoWeight(500)));
  assert.equal(read(dir, 'io.max'), '254:0 wbps=2048');
  assert.equal(read(dir, 'hugetlb.2MB.max'), '4194304');
  assert.equal(read(dir, 'memory.high'), '90000000');

  mgr.set({ memory: { limit: -1, swap: -1 }, cpu: { quota: -1 }, pids: { limit: 0 } });
  assert.equal(read(dir, 'memory.max'), 'max');
  assert.equal(read(dir, 'memory.swap.max'), 'max');
  assert.equal(read(dir, 'cpu.max'), 'max 50000', 'period kept when only quota changes');
  assert.equal(read(dir, 'pids.max'), 'max');

  assert.throws(() => mgr.set({ cpu: { realtimeRuntime: 1000 } }), isInvalidArgument);
  assert.throws(() => mgr.set({ unified: { '../escape': '1' } }), /invalid key/);
  assert.throws(() => mgr.set({ memory: { swap: 1000 } }), /memory.swap needs memory.limit/);
});

test('sharesToWeight, blkioWeightToIoWeight and swapToV2 convert like crun', () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 100);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(0), 0);
  const mid = sharesToWeight(512);
  assert.ok(mid > 1 && mid < 100, `512 shares → ${mid}`);
  assert.ok(sharesToWeight(2048) > 100);
  assert.equal(blkioWeightToIoWeight(10), 1);
  assert.equal(blkioWeightToIoWeight(1000), 10000);
  assert.equal(blkioWeightToIoWeight(500), 4950);
  assert.equal(swapToV2(100, 300), '200');
  assert.equal(swapToV2(100, -1), 'max');
  assert.throws(() => swapToV2(300, 100), /must be at least memory.limit/);
});

test('resolveCgroupsPath handles absolute, relative, systemd and empty paths', () => {
  assert.equal(resolveCgroupsPath('/berth/abc'), '/berth/abc');
  assert.equal(resolveCgroupsPath('/berth//abc/'), '/berth/abc');
  assert.equal(resolveCgroupsPath('ctr', { parent: '/user.slice' }), '/user.slice/ctr');
  assert.equal(resolveCgroupsPath('', { id: 'c1' }), '/berth/c1');
  assert.equal(resolveCgroupsPath(undefined, { id: 'c1' }), '/berth/c1');
  assert.equal(resolveCgroupsPath('system.slice:docker:abc'), '/system.slice/docker-abc.scope');
  assert.equal(resolveCgroupsPath('machine-test.slice:berth:c1'), '/machine.slice/machine-test.slice/berth-c1.scope');
  assert.equal(resolveCgroupsPath(':berth:c1'), '/system.slice/berth-c1.scope');
  assert.equal(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.equal(expandSlice('-.slice'), '/');
  assert.throws(() => resolveCgroupsPath('/../etc'), isInvalidArgument);
  assert.throws(() => resolveCgroupsPath('../x', { parent: '/' }), isInvalidArgument);
  assert.throws(() => resolveCgroupsPath('/'), isInvalidArgument);
  assert.throws(() => resolveCgroupsPath(''), isInvalidArgument);
  assert.throws(() => expandSlice('a--b.slice'), isInvalidArgument);
});

test('detectCgroupMode tells the tmpfs of v1 hierarchies from a cgroup2 mount', () => {
  assert.equal(detectCgroupMode('/sys/fs/cgroup'), 'v1');
  assert.equal(detectCgroupMode(UNIFIED), 'v2');
  assert.throws(() => detectCgroupMode('/proc'), isInvalidArgument);
});
