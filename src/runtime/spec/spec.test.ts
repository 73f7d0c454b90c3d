import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isInvalidArgument } from '../../lib/index.ts';
import { validateSpec, defaultSpec, dockerDefaultCapabilities, dockerDefaultMounts, dockerDefaultDeviceRules } from './index.ts';

function invalid(mutate: (s: any) => void, message: string): void {
  const s: any = structuredClone(defaultSpec());
  mutate(s);
  assert.throws(() => validateSpec(s), (err: unknown) => {
    assert.ok(isInvalidArgument(err), 'invalid-argument code');
    assert.equal((err as Error).message, message);
    return true;
  });
}

test('validateSpec accepts the default spec and the rootless spec', () => {
  assert.equal(validateSpec(defaultSpec()).ociVersion, '1.2.0');
  assert.equal(validateSpec(defaultSpec({ rootless: true, uid: 1000, gid: 1000 })).linux?.uidMappings?.[0]?.hostID, 1000);
});

test('validateSpec names the JSON path of the first error', () => {
  invalid((s) => (s.process.args = []), 'config.json: process.args: must be a non-empty array');
  invalid((s) => delete s.process.args, 'config.json: process.args: must be a non-empty array');
  invalid((s) => (s.process.args = ['sh', 1]), 'config.json: process.args[1]: must be a string');
  invalid((s) => (s.process.cwd = 'tmp'), 'config.json: process.cwd: must be an absolute path');
  invalid((s) => (s.process.user.uid = -1), 'config.json: process.user.uid: must be >= 0');
  invalid((s) => delete s.ociVersion, 'config.json: ociVersion: must be a non-empty string');
  invalid((s) => (s.process.env = ['NOEQUALS']), 'config.json: process.env[0]: must be "KEY=value", got "NOEQUALS"');
  invalid((s) => (s.mounts[2].destination = 5), 'config.json: mounts[2].destination: must be a non-empty string');
  invalid((s) => (s.linux.namespaces[0].type = 'bogus'), 'config.json: linux.namespaces[0].type: unknown namespace type "bogus"');
  invalid((s) => s.linux.namespaces.push({ type: 'pid' }), 'config.json: linux.namespaces: namespace "pid" listed twice');
  invalid((s) => (s.linux.resources.memory = { limit: 'big' }), 'config.json: linux.resources.memory.limit: must be an integer');
  invalid((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_NOPE' }), 'config.json: linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"');
  invalid(
    (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }] }),
    'config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator "EQ"',
  );
  invalid((s) => (s.hooks = { prestart: [{ path: 'rel' }] }), 'config.json: hooks.prestart[0].path: must be an absolute path');
  invalid((s) => (s.process.rlimits[0].soft = 4096), 'config.json: process.rlimits[0]: soft must not exceed hard');
  assert.throws(() => validateSpec([]), /config.json: \(root\): must be an object/);
});

test('defaultSpec rootless drops the network namespace and binds /sys', () => {
  const s = defaultSpec({ rootless: true, uid: 1000, gid: 1000 });
  const types = s.linux?.namespaces?.map((n) => n.type) ?? [];
  assert.ok(types.includes('user'));
  assert.ok(!types.includes('network'));
  assert.equal(s.linux?.resources, undefined);
  const sys = s.mounts?.find((m) => m.destination === '/sys');
  assert.deepEqual(sys?.options, ['rbind', 'nosuid', 'noexec', 'nodev', 'ro']);
  const pts = s.mounts?.find((m) => m.destination === '/dev/pts');
  assert.ok(!pts?.options?.some((o) => o.startsWith('gid=')));
});

test('docker defaults have the documented shape', () => {
  assert.equal(dockerDefaultCapabilities.length, 14);
  assert.deepEqual(dockerDefaultMounts().map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  assert.deepEqual(dockerDefaultDeviceRules[0], { allow: false, access: 'rwm' });
});

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as unknown;

test('validateSpec accepts what runc spec, runc spec --rootless and crun spec write', () => {
  for (const name of ['runc-spec.json', 'runc-spec-rootless.json', 'crun-spec.json']) {
    assert.doesNotThrow(() => validateSpec(fixture(name)), name);
  }
});

test('defaultSpec matches runc spec in mounts, paths, capabilities and rlimits', () => {
  const runc = validateSpec(fixture('runc-spec.json'));
  const ours = defaultSpec();
  assert.deepEqual(ours.mounts, runc.mounts);
  assert.deepEqual(ours.linux?.maskedPaths, runc.linux?.maskedPaths);
  assert.deepEqual(ours.linux?.readonlyPaths, runc.linux?.readonlyPaths);
  // runc 1.1 also lists the three in ambient, which cannot be raised without inheritable: Berth leaves ambient out
  const { ambient: _ambient, ...runcCaps } = runc.process?.capabilities ?? {};
  assert.deepEqual(ours.process?.capabilities, runcCaps);
  assert.deepEqual(ours.process?.rlimits, runc.process?.rlimits);
  assert.deepEqual(ours.root, runc.root);
  assert.deepEqual(ours.linux?.resources, runc.linux?.resources);
  // runc 1.1 leaves the cgroup namespace out; newer runc and Berth add it
  assert.deepEqual(ours.linux?.namespaces?.filter((n) => n.type !== 'cgroup'), runc.linux?.namespaces);

  const rootlessRunc = validateSpec(fixture('runc-spec-rootless.json'));
  const rootless = defaultSpec({ rootless: true, uid: 1000, gid: 1000 });
  const sys = (s: typeof rootless) => s.mounts?.find((m) => m.destination === '/sys');
  assert.deepEqual(sys(rootless)?.options, sys(rootlessRunc)?.options);
  assert.deepEqual(rootless.mounts?.map((m) => m.options), rootlessRunc.mounts?.map((m) => m.options));
  assert.deepEqual(
    rootless.linux?.namespaces?.map((n) => n.type).sort(),
    rootlessRunc.linux?.namespaces?.map((n) => n.type).sort(),
  );
});
