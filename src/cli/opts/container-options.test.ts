import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../parse/flags.ts';
import { buildCreateRequest, containerFlags, parseEnvFile, parseUlimit, parseRestart } from './container-options.ts';
import { addPublish, type PublishedPorts } from './ports.ts';
import { parseMountFlag, parseVolumeFlag } from './mounts.ts';
import { parseBytes, parseCpus, parseDuration } from './units.ts';

const spec = { usage: '', description: '', flags: [{ name: 'detach', short: 'd', kind: 'bool' as const, description: '' }, ...containerFlags], interspersed: false };
const files: Record<string, string> = { '/tmp/app.env': '# comment\nA=1\n\nHOME_DIR\nB=two words\n' };

function build(argv: string[], env: Record<string, string> = {}) {
  const { flags, args } = parseFlags(spec, argv);
  return buildCreateRequest(flags, args, {
    env,
    cwd: '/work',
    readFile: (p) => {
      const t = files[p];
      if (t === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return t;
    },
  }, flags.bool('detach'));
}

test('addPublish parses docker -p forms', () => {
  const cases: [string, Record<string, { HostIp: string; HostPort: string }[]>][] = [
    ['80', { '80/tcp': [{ HostIp: '', HostPort: '' }] }],
    ['8080:80', { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }],
    ['127.0.0.1:8080:80/udp', { '80/udp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }],
    ['127.0.0.1::80', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }],
    ['[::1]:8080:80', { '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] }],
    ['8000-8001:80-81', { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] }],
  ];
  for (const [spec, want] of cases) {
    const into: PublishedPorts = { exposed: {}, bindings: {} };
    addPublish(spec, into);
    assert.deepEqual(into.bindings, want, spec);
    assert.deepEqual(Object.keys(into.exposed).sort(), Object.keys(want).sort(), spec);
  }
  assert.throws(() => addPublish('1:2:3:4', { exposed: {}, bindings: {} }), /invalid publish opts format/);
  assert.throws(() => addPublish('80/xyz', { exposed: {}, bindings: {} }), /invalid proto/);
  assert.throws(() => addPublish('8000-8002:80-81', { exposed: {}, bindings: {} }), /invalid ranges/);
});

test('parseVolumeFlag splits binds, named volumes and anonymous volumes', () => {
  assert.deepEqual(parseVolumeFlag('name:/d:ro', '/w'), { bind: 'name:/d:ro' });
  assert.deepEqual(parseVolumeFlag('/host:/d', '/w'), { bind: '/host:/d' });
  assert.deepEqual(parseVolumeFlag('./rel:/d', '/w'), { bind: '/w/rel:/d' });
  assert.deepEqual(parseVolumeFlag('/data', '/w'), { volume: '/data' });
  assert.throws(() => parseVolumeFlag('x:rel', '/w'), /must be absolute/);
  assert.throws(() => parseVolumeFlag('x:/d:bogus', '/w'), /invalid mode: bogus/);
});

test('parseMountFlag reads docker --mount CSV', () => {
  assert.deepEqual(parseMountFlag('type=bind,source=/a,target=/b,readonly'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
  assert.deepEqual(parseMountFlag('type=bind,src=/a,dst=/b,bind-propagation=rshared'), { Type: 'bind', Source: '/a', Target: '/b', BindOptions: { Propagation: 'rshared' } });
  assert.deepEqual(parseMountFlag('source=v1,target=/data,volume-nocopy'), { Type: 'volume', Source: 'v1', Target: '/data', VolumeOptions: { NoCopy: true } });
  assert.deepEqual(parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 } });
  assert.throws(() => parseMountFlag('type=bind,target=/b'), /source is required/);
  assert.throws(() => parseMountFlag('type=bind,source=/a'), /target is required/);
  assert.throws(() => parseMountFlag('type=weird,target=/a'), /invalid mount type/);
  assert.throws(() => parseMountFlag('type=bind,source=/a,target=/b,color=red'), /unexpected key 'color'/);
});

test('units: sizes, durations, cpus', () => {
  assert.equal(parseBytes('512m', '-m'), 512 * 1024 * 1024);
  assert.equal(parseBytes('1g', '-m'), 1024 ** 3);
  assert.equal(parseBytes('1.5GB', '-m'), 1.5 * 1024 ** 3);
  assert.equal(parseBytes('100', '-m'), 100);
  assert.equal(parseBytes('-1', '--memory-swap'), -1);
  assert.throws(() => parseBytes('12x', '-m'), /invalid size/);
  assert.equal(parseDuration('30s', 'x'), 30e9);
  assert.equal(parseDuration('1m30s', 'x'), 90e9);
  assert.equal(parseDuration('500ms', 'x'), 5e8);
  assert.throws(() => parseDuration('10', 'x'), /invalid duration/);
  assert.equal(parseCpus('1.5'), 1_500_000_000);
  assert.throws(() => parseCpus('abc'), /rational number/);
});

test('parseUlimit, parseRestart and parseEnvFile', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Soft: 1024, Hard: 2048 });
  assert.deepEqual(parseUlimit('nproc=64'), { Name: 'nproc', Soft: 64, Hard: 64 });
  assert.throws(() => parseUlimit('nofile=10:5'), /soft limit must be less than or equal/);
  assert.deepEqual(parseRestart('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(parseRestart('always'), { Name: 'always' });
  assert.throws(() => parseRestart('always:3'), /only be used with 'on-failure'/);
  assert.throws(() => parseRestart('sometimes'), /unknown policy/);
  assert.deepEqual(parseEnvFile('A=1\n#x\n\nB\nC\n', 'f', { B: 'b' }), ['A=1', 'B=b']);
});

test('buildCreateRequest maps run flags to the create body', () => {
  const r = build(
    [
      '-d', '--name', 'web', '-e', 'A=1', '-e', 'FROM_ENV', '-e', 'UNSET', '--env-file', '/tmp/app.env',
      '-p', '127.0.0.1:8080:80/udp', '-v', 'data:/d:ro', '-v', '/anon', '--mount', 'type=bind,source=/a,target=/b',
      '--ulimit', 'nofile=1024:2048', '--cpus', '1.5', '-m', '512m', '--memory-swap', '1g', '--cpu-shares', '512',
      '--cpuset-cpus', '0', '--pids-limit', '100', '--init', '--cap-add', 'NET_ADMIN', '--cap-drop', 'MKNOD',
      '--security-opt', 'no-new-privileges', '--read-only', '--tmpfs', '/run:size=64m', '--hostname', 'h1',
      '--add-host', 'db:10.0.0.2', '--dns', '1.1.1.1', '--network', 'none', '--label', 'a=b', '-w', '/srv', '-u', '1000:1000',
      '--restart', 'on-failure:2', '--health-cmd', 'true', '--health-interval', '5s', '--health-retries', '3',
      '--stop-signal', 'SIGINT', '--stop-timeout', '7', '--entrypoint', '/bin/sh',
      'busybox', '-c', 'echo hi',
    ],
    { FROM_ENV: 'yes' },
  );
  assert.equal(r.image, 'busybox');
  assert.equal(r.name, 'web');
  assert.equal(r.pull, 'missing');
  const b = r.body;
  assert.deepEqual(b.Cmd, ['-c', 'echo hi']);
  assert.deepEqual(b.Entrypoint, ['/bin/sh']);
  assert.deepEqual(b.Env, ['A=1', 'B=two words', 'A=1', 'FROM_ENV=yes']);
  assert.deepEqual(b.ExposedPorts, { '80/udp': {} });
  assert.deepEqual(b.Volumes, { '/anon': {} });
  assert.equal(b.AttachStdout, false);
  assert.equal(b.WorkingDir, '/srv');
  assert.equal(b.User, '1000:1000');
  assert.equal(b.Hostname, 'h1');
  assert.deepEqual(b.Labels, { a: 'b' });
  assert.equal(b.StopSignal, 'SIGINT');
  assert.equal(b.StopTimeout, 7);
  assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 3 });
  const h = b.HostConfig!;
  assert.deepEqual(h.PortBindings, { '80/udp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  assert.deepEqual(h.Binds, ['data:/d:ro']);
  assert.deepEqual(h.Mounts, [{ Type: 'bind', Source: '/a', Target: '/b' }]);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.equal(h.NanoCpus, 1_500_000_000);
  assert.equal(h.Memory, 536870912);
  assert.equal(h.MemorySwap, 1073741824);
  assert.equal(h.CpuShares, 512);
  assert.equal(h.CpusetCpus, '0');
  assert.equal(h.PidsLimit, 100);
  assert.equal(h.Init, true);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['MKNOD']);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.Tmpfs, { '/run': 'size=64m' });
  assert.deepEqual(h.ExtraHosts, ['db:10.0.0.2']);
  assert.deepEqual(h.Dns, ['1.1.1.1']);
  assert.equal(h.NetworkMode, 'none');
  assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
});

test('buildCreateRequest attach flags, --rm, --entrypoint "", --no-healthcheck', () => {
  const it = build(['-it', '--rm', '--entrypoint', '', '--no-healthcheck', 'busybox']).body;
  assert.equal(it.Tty, true);
  assert.equal(it.OpenStdin, true);
  assert.equal(it.AttachStdin, true);
  assert.equal(it.StdinOnce, true);
  assert.equal(it.AttachStdout, true);
  assert.equal(it.HostConfig?.AutoRemove, true);
  assert.deepEqual(it.Entrypoint, ['']);
  assert.deepEqual(it.Healthcheck, { Test: ['NONE'] });
  assert.equal(it.Cmd, undefined);
  assert.equal(build(['busybox']).body.HostConfig?.NetworkMode, 'default');
  assert.throws(() => build(['--rm', '--restart', 'always', 'busybox']), /cannot specify both --restart and --rm/);
  assert.throws(() => build(['--no-healthcheck', '--health-cmd', 'x', 'busybox']), /conflicts with --health/);
  assert.throws(() => build(['--pull', 'sometimes', 'busybox']), /invalid pull option/);
  assert.throws(() => build(['--env-file', '/nope', 'busybox']), /open \/nope: no such file or directory/);
});
