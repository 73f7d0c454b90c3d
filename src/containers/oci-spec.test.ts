import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockIOOf, discardUnsupportedBlkio, buildSpec, computeCapabilities, parseDeviceCgroupRule, parseSecurityOpt, resourcesOf, type BuildSpecOptions } from './oci-spec.ts';
import { validateNamespaceModes } from './namespace-modes.ts';
import { defaultContainerConfig, defaultHostConfig } from './defaults.ts';
import { initialState } from './state.ts';
import type { Container, HostConfig } from './types.ts';
import { dockerDefaultCapabilities } from '../runtime/spec/index.ts';

const hostCaps = [...dockerDefaultCapabilities, 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE'];
const hc = (h: Partial<HostConfig>): HostConfig => ({ ...defaultHostConfig(), ...h });

type Over = Omit<Partial<Container>, 'config' | 'hostConfig'> & { config?: Partial<Container['config']>; hostConfig?: Partial<HostConfig> };
function container(over: Over = {}): Container {
  const { config, hostConfig, ...rest } = over;
  return {
    id: 'a'.repeat(64),
    name: 'c1',
    created: '2024-01-01T00:00:00Z',
    imageRef: 'busybox',
    imageId: 'sha256:' + 'b'.repeat(64),
    config: { ...defaultContainerConfig(), cmd: ['sh'], ...config },
    hostConfig: hc(hostConfig ?? {}),
    state: initialState(),
    path: 'sh',
    args: [],
    restartCount: 0,
    mountPoints: [],
    snapshotKey: 'k',
    logPath: '/d/log',
    hostnamePath: '/d/hostname',
    hostsPath: '/d/hosts',
    resolvConfPath: '/d/resolv.conf',
    execIds: [],
    ...rest,
  };
}
const opts: BuildSpecOptions = { rootfs: '/b/rootfs', user: { uid: 0, gid: 0, additionalGids: [] }, hostCapabilities: hostCaps, cgroupsPath: '/berth/x' };

test('computeCapabilities: defaults, add/drop, ALL, privileged, clamped to host', () => {
  assert.deepEqual(computeCapabilities(hc({}), hostCaps), [...dockerDefaultCapabilities]);
  const added = computeCapabilities(hc({ capAdd: ['sys_admin', 'CAP_SYS_TIME'], capDrop: ['NET_RAW'] }), hostCaps);
  assert.ok(added.includes('CAP_SYS_ADMIN'));
  assert.ok(!added.includes('CAP_SYS_TIME'), 'not in the host bounding set');
  assert.ok(!added.includes('CAP_NET_RAW'));
  assert.deepEqual(computeCapabilities(hc({ capDrop: ['ALL'], capAdd: ['CHOWN'] }), hostCaps), ['CAP_CHOWN']);
  assert.deepEqual(computeCapabilities(hc({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }), hostCaps), hostCaps.filter((c) => c !== 'CAP_SYS_ADMIN'));
  assert.deepEqual(computeCapabilities(hc({ privileged: true }), hostCaps), hostCaps);
  assert.throws(() => computeCapabilities(hc({ capAdd: ['bad-cap'] }), hostCaps), /unknown capability/);
});

test('resourcesOf converts docker resource flags', () => {
  const r = resourcesOf(hc({ memory: 64 << 20, nanoCpus: 1.5e9, pidsLimit: 100, cpuShares: 512, cpusetCpus: '0' }));
  assert.deepEqual(r.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(r.cpu, { shares: 512, period: 100000, quota: 150000, cpus: '0' });
  assert.deepEqual(r.pids, { limit: 100 });
  assert.equal(resourcesOf(hc({ memory: 1 << 20, memorySwap: -1 })).memory?.swap, -1);
  assert.throws(() => resourcesOf(hc({ nanoCpus: 1e9, cpuQuota: 1000 })), /Conflicting options/);
});

test('parseSecurityOpt understands seccomp and no-new-privileges', () => {
  assert.deepEqual(parseSecurityOpt(['seccomp=unconfined', 'no-new-privileges']), { seccomp: 'unconfined', noNewPrivileges: true });
  assert.deepEqual(parseSecurityOpt(['seccomp:{"defaultAction":"SCMP_ACT_ALLOW"}']), {
    seccomp: { profile: '{"defaultAction":"SCMP_ACT_ALLOW"}' },
    noNewPrivileges: false,
  });
  assert.throws(() => parseSecurityOpt(['bogus=1']), /invalid --security-opt/);
});

test('buildSpec: process, files, volumes, tmpfs, init, readonly, network modes', () => {
  const c = container({
    config: { env: ['A=1'], workingDir: '/w', tty: true },
    hostConfig: { init: true, readonlyRootfs: true, shmSize: 128 << 20, sysctls: { 'net.core.somaxconn': '1024' }, ulimits: [{ name: 'nofile', soft: 10, hard: 20 }] },
    mountPoints: [
      { type: 'bind', name: '', source: '/host/data', destination: '/data', driver: '', mode: 'ro', rw: false, propagation: 'rprivate', anonymous: false },
      { type: 'tmpfs', name: '', source: '', destination: '/run', driver: '', mode: '', rw: true, propagation: '', anonymous: false, options: ['size=1m'] },
    ],
  });
  let seccompCalled = false;
  const spec = buildSpec(c, {
    ...opts,
    initBinary: '/opt/berth-init',
    seccomp: (profile) => {
      seccompCalled = profile === undefined;
      return { defaultAction: 'SCMP_ACT_ERRNO' };
    },
  });
  assert.deepEqual(spec.process?.args, ['/sbin/docker-init', '--', 'sh']);
  assert.equal(spec.process?.cwd, '/w');
  assert.equal(spec.process?.terminal, true);
  assert.deepEqual(spec.process?.env, [`HOSTNAME=${'a'.repeat(12)}`, 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'TERM=xterm']);
  assert.deepEqual(spec.process?.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }]);
  assert.equal(spec.root?.readonly, true);
  assert.equal(spec.hostname, 'a'.repeat(12));
  const dests = spec.mounts?.map((m) => m.destination);
  assert.deepEqual(dests?.slice(-6), ['/etc/resolv.conf', '/etc/hostname', '/etc/hosts', '/data', '/run', '/sbin/docker-init']);
  assert.deepEqual(spec.mounts?.find((m) => m.destination === '/data')?.options, ['rbind', 'ro', 'rprivate']);
  assert.ok(spec.mounts?.find((m) => m.destination === '/dev/shm')?.options?.includes('size=131072k'));
  assert.ok(spec.linux?.namespaces?.some((n) => n.type === 'network'));
  assert.deepEqual(spec.linux?.sysctl, { 'net.core.somaxconn': '1024' });
  assert.ok(seccompCalled);
  assert.equal(spec.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.ok(spec.linux?.maskedPaths?.includes('/proc/kcore'));

  const host = buildSpec(container({ hostConfig: { networkMode: 'host', privileged: true } }), { ...opts, hostHostname: 'myhost', seccomp: () => ({ defaultAction: 'SCMP_ACT_ERRNO' }) });
  assert.ok(!host.linux?.namespaces?.some((n) => n.type === 'network'));
  assert.equal(host.hostname, 'myhost');
  assert.equal(host.linux?.seccomp, undefined, 'privileged has no seccomp');
  assert.equal(host.linux?.maskedPaths, undefined);
  assert.deepEqual(host.process?.capabilities?.bounding, hostCaps);

  const unconfined = buildSpec(container({ hostConfig: { securityOpt: ['seccomp=unconfined'] } }), { ...opts, seccomp: () => ({ defaultAction: 'SCMP_ACT_ERRNO' }) });
  assert.equal(unconfined.linux?.seccomp, undefined);
  assert.throws(() => buildSpec(container({ hostConfig: { init: true } }), opts), /no init binary/);
});

test('buildSpec namespaces: joined by path, host ones left out, shm from the shared source or none', () => {
  const ns = (over: Over, shared?: BuildSpecOptions['shared']) => {
    const s = buildSpec(container(over), { ...opts, ...(shared ? { shared } : {}) });
    return { ns: s.linux!.namespaces!, shm: s.mounts!.find((m) => m.destination === '/dev/shm'), hostname: s.hostname };
  };
  const joined = ns({ hostConfig: { pidMode: 'container:x', ipcMode: 'container:x' } }, { pidFrom: 42, ipcFrom: 42, shmSource: '/data/x/mounts/shm' });
  assert.deepEqual(joined.ns.slice(0, 3), [{ type: 'mount' }, { type: 'pid', path: '/proc/42/ns/pid' }, { type: 'ipc', path: '/proc/42/ns/ipc' }]);
  assert.deepEqual(joined.shm, { destination: '/dev/shm', type: 'bind', source: '/data/x/mounts/shm', options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev'] });
  const host = ns({ hostConfig: { pidMode: 'host', ipcMode: 'host', utsMode: 'host' } });
  assert.deepEqual(host.ns.map((n) => n.type), ['mount', 'network']);
  assert.equal(host.hostname, undefined, 'no hostname without a uts namespace');
  assert.equal(ns({ hostConfig: { ipcMode: 'none' } }).shm, undefined);
  assert.equal(ns({}).shm?.type, 'tmpfs');
});

test('validateNamespaceModes accepts docker modes and rejects others with its messages', () => {
  const base = { ipcMode: '', pidMode: '', utsMode: '', usernsMode: '' };
  for (const ipcMode of ['', 'private', 'shareable', 'host', 'none', 'container:a']) validateNamespaceModes({ ...base, ipcMode }, '');
  assert.throws(() => validateNamespaceModes({ ...base, ipcMode: 'container:' }, ''), /invalid IPC mode: container:/);
  assert.throws(() => validateNamespaceModes({ ...base, pidMode: 'private' }, ''), /invalid PID mode: private/);
  assert.throws(() => validateNamespaceModes({ ...base, utsMode: 'container:a' }, ''), /invalid UTS mode: container:a/);
  assert.throws(() => validateNamespaceModes({ ...base, utsMode: 'host' }, 'h1'), /conflicting options: hostname and the UTS mode/);
});

test('parseDeviceCgroupRule and blockIOOf', () => {
  assert.deepEqual(parseDeviceCgroupRule('c 1:3 rmw'), { allow: true, type: 'c', major: 1, minor: 3, access: 'rmw' });
  assert.deepEqual(parseDeviceCgroupRule('b 7:* r'), { allow: true, type: 'b', major: 7, minor: -1, access: 'r' });
  assert.deepEqual(parseDeviceCgroupRule('a *:* rwm'), { allow: true, access: 'rwm' });
  for (const bad of ['c 1:3', 'x 1:3 r', 'c 1:3 rwx', 'c a:3 r']) assert.throws(() => parseDeviceCgroupRule(bad), /invalid device cgroup format/);
  const none = { blkioWeight: 0, blkioWeightDevice: [], blkioDeviceReadBps: [], blkioDeviceWriteBps: [], blkioDeviceReadIOps: [], blkioDeviceWriteIOps: [] };
  assert.equal(blockIOOf(none), undefined);
  assert.deepEqual(blockIOOf({ ...none, blkioWeight: 300, blkioDeviceWriteBps: [{ path: '/dev/null', rate: 5 }] }), {
    weight: 300,
    throttleWriteBpsDevice: [{ major: 1, minor: 3, rate: 5 }],
  });
  assert.throws(() => blockIOOf({ ...none, blkioDeviceReadIOps: [{ path: '/dev/nope', rate: 1 }] }), /stat \/dev\/nope: no such file or directory/);
  const rules = resourcesOf(hc({ deviceCgroupRules: ['c 42:* rw'] })).devices!;
  assert.deepEqual(rules.at(-1), { allow: true, type: 'c', major: 42, minor: -1, access: 'rw' });
});

test('discardUnsupportedBlkio drops what the kernel lacks with docker warnings', () => {
  const all = { weight: true, weightDevice: true, readBps: true, writeBps: true, readIOps: true, writeIOps: true };
  const r = { blkioWeight: 300, blkioWeightDevice: [{ path: '/dev/vda', weight: 200 }], blkioDeviceReadBps: [{ path: '/dev/vda', rate: 1 }] };
  assert.deepEqual(discardUnsupportedBlkio({ ...r }, undefined), []);
  assert.deepEqual(discardUnsupportedBlkio({ ...r }, all), []);
  const dropped = { ...r };
  const w = discardUnsupportedBlkio(dropped, { ...all, weight: false, weightDevice: false });
  assert.deepEqual(w, [
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
    'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
  ]);
  assert.deepEqual(dropped, { blkioWeight: 0, blkioWeightDevice: [], blkioDeviceReadBps: [{ path: '/dev/vda', rate: 1 }] });
});
