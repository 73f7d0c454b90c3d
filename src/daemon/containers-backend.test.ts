import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromWire, filterContainers, hostConfigFromWire, inspectToWire, listCommand, summaryToWire } from './containers-backend.ts';
import { initialState, type Container } from '../containers/index.ts';
import type { RestartPolicyWire } from '../api/types/index.ts';

function container(over: Partial<Container> = {}): Container {
  return {
    id: 'f'.repeat(64),
    name: 'web',
    created: '2024-01-01T00:00:00.000Z',
    imageRef: 'busybox',
    imageId: 'sha256:' + 'a'.repeat(64),
    config: configFromWire({ Image: 'busybox', Cmd: ['sh', '-c', 'echo hi'], Labels: { app: 'x' }, ExposedPorts: { '80/tcp': {} } }),
    hostConfig: hostConfigFromWire({ NetworkMode: 'none', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }),
    state: { ...initialState(), status: 'running', pid: 42, startedAt: '2024-01-01T00:00:00.000Z' },
    path: 'sh',
    args: ['-c', 'echo hi'],
    restartCount: 0,
    mountPoints: [],
    snapshotKey: 'k',
    logPath: '/l',
    hostnamePath: '/h',
    hostsPath: '/hs',
    resolvConfPath: '/r',
    execIds: [],
    ...over,
  };
}

test('configFromWire keeps null vs [] entrypoints and string commands', () => {
  assert.equal(configFromWire({}).entrypoint, null);
  assert.deepEqual(configFromWire({ Entrypoint: [] }).entrypoint, []);
  assert.deepEqual(configFromWire({ Cmd: 'echo hi' }).cmd, ['echo hi']);
  assert.deepEqual(configFromWire({ ExposedPorts: { '53/udp': {} }, Volumes: { '/d': {} } }).exposedPorts, ['53/udp']);
});

test('hostConfigFromWire reads resources, mounts, restart policy and defaults', () => {
  const hc = hostConfigFromWire({
    Memory: 1 << 26,
    NanoCpus: 5e8,
    PidsLimit: 10,
    Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }],
    Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 } }],
    RestartPolicy: { Name: 'always' },
    AutoRemove: false,
  });
  assert.equal(hc.memory, 1 << 26);
  assert.equal(hc.nanoCpus, 5e8);
  assert.deepEqual(hc.ulimits, [{ name: 'nofile', soft: 1, hard: 2 }]);
  assert.deepEqual(hc.mounts, [{ type: 'tmpfs', source: '', target: '/t', readOnly: false, tmpfsSize: 1024 }]);
  assert.equal(hc.restartPolicy.name, 'always');
  assert.equal(hc.networkMode, 'default');
  assert.equal(hc.shmSize, 64 * 1024 * 1024);
  assert.throws(() => hostConfigFromWire({ RestartPolicy: { Name: 'bogus' as RestartPolicyWire['Name'] } }), /unknown policy/);
});

test('inspectToWire and summaryToWire use docker shapes', () => {
  const c = container();
  const j = inspectToWire(c);
  assert.equal(j.Name, '/web');
  assert.equal(j.State.Running, true);
  assert.equal(j.State.Pid, 42);
  assert.deepEqual(j.Config.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(j.Config.ExposedPorts, { '80/tcp': {} });
  assert.deepEqual(j.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.ok('none' in j.NetworkSettings.Networks);
  const s = summaryToWire(c, Date.parse('2024-01-01T00:00:05.000Z'));
  assert.deepEqual(s.Names, ['/web']);
  assert.equal(s.Command, "sh -c 'echo hi'");
  assert.equal(s.Status, 'Up 5 seconds');
  assert.equal(s.Created, 1704067200);
  assert.deepEqual(s.Ports, [{ PrivatePort: 80, Type: 'tcp' }]);
});

test('listCommand quotes arguments with spaces as docker ps does', () => {
  assert.equal(listCommand('sh', []), 'sh');
  assert.equal(listCommand('sh', ['-c', 'echo hi']), "sh -c 'echo hi'");
  assert.equal(listCommand('/bin/echo', ['a', 'b c', '', 'd']), "/bin/echo a 'b c'  d");
  assert.equal(listCommand('top', ['-b']), 'top -b');
});

test('filterContainers: status, name, label, ancestor, exited, id', () => {
  const a = container();
  const b = container({ id: 'e'.repeat(64), name: 'db', config: { ...a.config, labels: {} }, state: { ...initialState(), status: 'exited', exitCode: 2 } });
  const f = (m: Record<string, string[]>) => filterContainers([a, b], new Map(Object.entries(m)), () => undefined).map((c) => c.name);
  assert.deepEqual(f({ status: ['exited'] }), ['db']);
  assert.deepEqual(f({ name: ['we'] }), ['web']);
  assert.deepEqual(f({ label: ['app=x'] }), ['web']);
  assert.deepEqual(f({ label: ['app'] }), ['web']);
  assert.deepEqual(f({ ancestor: ['busybox'] }), ['web', 'db']);
  assert.deepEqual(f({ exited: ['2'] }), ['db']);
  assert.deepEqual(f({ id: ['eee'] }), ['db']);
  assert.deepEqual(f({ status: ['running', 'exited'] }), ['web', 'db']);
});
