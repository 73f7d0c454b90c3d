import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, computeCapabilities, parseSecurityOpt, resourcesOf, type BuildSpecOptions } from './oci-spec.ts';
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
