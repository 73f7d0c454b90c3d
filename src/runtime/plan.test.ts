import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExecPlan, compilePlan, decodePlan, encodeField, encodePlan, type PlanContext } from './plan.ts';
import { defaultSpec } from './spec/index.ts';
import { MS } from './linux/index.ts';

const ctx = (extra: Partial<PlanContext> = {}): PlanContext => ({
  bundle: '/b',
  files: { control: '/s/ctl.sock', exitFile: '/s/exit' },
  stdio: { mode: 'null' },
  bounding: (1n << 41n) - 1n,
  ...extra,
});

function spec() {
  const s = defaultSpec({ terminal: false, args: ['sh', '-c', 'echo a b'], rootPath: '/rootfs' });
  s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
  return s;
}

test('encodeField percent-encodes separators, % and non-ASCII; empty is "%"', () => {
  assert.equal(encodeField('a b\n%'), 'a%20b%0A%25');
  assert.equal(encodeField(''), '%');
  assert.equal(encodeField('é'), '%C3%A9');
  assert.equal(encodeField(42), '42');
  const recs: [string, ...string[]][] = [['args', 'sh', '-c', 'echo "a b"; exit 1', ''], ['env', 'X=ü']];
  assert.deepEqual(decodePlan(encodePlan(recs)), recs);
});

test('compilePlan orders namespaces user first and lists the process last', () => {
  const s = spec();
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 2000, size: 10 }];
  const recs = compilePlan(s, ctx());
  const names = recs.map((r) => r[0]);
  assert.deepEqual(recs.filter((r) => r[0] === 'ns').map((r) => r[1]), ['user', 'pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup']);
  assert.deepEqual(recs.find((r) => r[0] === 'uidmap'), ['uidmap', 0, 1000, 10]);
  assert.deepEqual(recs.find((r) => r[0] === 'gidmap'), ['gidmap', 0, 2000, 10]);
  assert.ok(names.indexOf('mount') < names.indexOf('device'));
  assert.ok(names.indexOf('masked') < names.indexOf('readonly-rootfs'));
  assert.deepEqual(recs.find((r) => r[0] === 'args'), ['args', 'sh', '-c', 'echo a b']);
  assert.deepEqual(recs.find((r) => r[0] === 'rootfs'), ['rootfs', '/rootfs']);
  assert.deepEqual(recs.find((r) => r[0] === 'rootfs-propagation'), ['rootfs-propagation', MS.SLAVE | MS.REC]);
});

test('compilePlan turns mount options into flags and data', () => {
  const recs = compilePlan(spec(), ctx());
  const mounts = recs.filter((r) => r[0] === 'mount');
  assert.deepEqual(mounts.find((m) => m[2] === '/dev'), ['mount', 'tmpfs', '/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 0, 'mode=755,size=65536k']);
  assert.deepEqual(mounts.find((m) => m[2] === '/sys'), ['mount', 'sysfs', '/sys', 'sysfs', MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, 0, '']);
  const devices = recs.filter((r) => r[0] === 'device').map((r) => r[1]);
  assert.deepEqual(devices, ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  assert.ok(recs.some((r) => r[0] === 'symlink' && r[1] === 'pts/ptmx' && r[2] === '/dev/ptmx'));
});

test('compilePlan expands a cgroup mount into the container cgroup directories', () => {
  const s = defaultSpec({ terminal: false, rootPath: '/rootfs' });
  const recs = compilePlan(s, ctx({ cgroupDirs: { memory: '/sys/fs/cgroup/memory/berth/c1' } }));
  const i = recs.findIndex((r) => r[0] === 'mount' && r[2] === '/sys/fs/cgroup');
  assert.equal(recs[i]![3], 'tmpfs');
  assert.deepEqual(recs[i + 1], ['mount', '/sys/fs/cgroup/memory/berth/c1', '/sys/fs/cgroup/memory', '', MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, 0, '']);
});

test('compilePlan clamps capabilities to the bounding set and warns', () => {
  const s = spec();
  s.process!.capabilities = { bounding: ['CAP_CHOWN', 'CAP_MAC_OVERRIDE'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] };
  const warnings: string[] = [];
  const recs = compilePlan(s, ctx({ bounding: 1n, warn: (m) => warnings.push(m) }));
  assert.deepEqual(recs.find((r) => r[0] === 'caps'), ['caps', '1', '1', '1', '0', '0']);
  assert.match(warnings[0] ?? '', /CAP_MAC_OVERRIDE not in the bounding set/);
});

test('compilePlan rejects what the shim cannot do', () => {
  const noMnt = spec();
  noMnt.linux!.namespaces = noMnt.linux!.namespaces!.filter((n) => n.type !== 'mount');
  assert.throws(() => compilePlan(noMnt, ctx()), /a new mount namespace is required/);
  const noUts = spec();
  noUts.linux!.namespaces = noUts.linux!.namespaces!.filter((n) => n.type !== 'uts');
  assert.throws(() => compilePlan(noUts, ctx()), /hostname: needs a new uts namespace/);
  const user = spec();
  user.linux!.namespaces!.push({ type: 'user' });
  assert.throws(() => compilePlan(user, ctx()), /uidMappings\/gidMappings: required/);
  const rel = spec();
  rel.process!.cwd = 'tmp';
  assert.throws(() => compilePlan(rel, ctx()), /process.cwd "tmp": must be an absolute path/);
});

test('compileExecPlan joins every namespace of the container by path and autostarts', () => {
  const s = spec();
  const recs = compileExecPlan(s, s.process!, 4242, ctx());
  assert.deepEqual(recs.filter((r) => r[0] === 'ns').map((r) => r[2]), ['/proc/4242/ns/pid', '/proc/4242/ns/net', '/proc/4242/ns/ipc', '/proc/4242/ns/uts', '/proc/4242/ns/mnt', '/proc/4242/ns/cgroup']);
  assert.ok(!recs.some((r) => r[0] === 'rootfs' || r[0] === 'mount'));
  assert.ok(recs.some((r) => r[0] === 'autostart'));
});

test('compilePlan adds recursive attributes and id maps to mount records, and preserve-fds', () => {
  const s = spec();
  s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 2000, size: 10 }];
  s.mounts!.push({ destination: '/r', type: 'bind', source: '/', options: ['rbind', 'rro', 'rnosuid', 'rnoatime'] });
  s.mounts!.push({ destination: '/i', type: 'bind', source: '/', options: ['rbind', 'ridmap'], uidMappings: [{ containerID: 5, hostID: 0, size: 1 }] });
  s.mounts!.push({ destination: '/p', type: 'bind', source: '/', options: ['bind'] });
  const recs = compilePlan(s, ctx({ preserveFds: 2 }));
  const mount = (dest: string) => recs.find((r) => r[0] === 'mount' && r[2] === dest)!;
  assert.deepEqual(mount('/r').slice(7), [0x1 | 0x2 | 0x10, 0x70]);
  assert.deepEqual(mount('/i').slice(7), [0, 0, '5 0 1\n', '0 2000 10\n', 1], 'the mount maps uids, the container its gids');
  assert.equal(mount('/p').length, 7, 'a plain mount keeps the short record');
  assert.deepEqual(recs.find((r) => r[0] === 'preserve-fds'), ['preserve-fds', 2]);
});
