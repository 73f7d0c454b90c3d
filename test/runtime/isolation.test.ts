import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Scratch } from './helpers.ts';
import { capabilityNames, readCapabilitySet } from '../../src/runtime/index.ts';

const s = new Scratch('iso');
after(() => s.remove());

test('Runtime.run gives the process pid 1, its own hostname and only lo', async () => {
  const { out, exit } = await s.run(['sh', '-c', 'echo pid=$$; hostname; ls /sys/class/net']);
  assert.equal(exit.exitCode, 0, out);
  assert.match(out, /^pid=1$/m);
  assert.match(out, /^berth-test$/m);
  assert.deepEqual(out.split('\n').slice(2).filter(Boolean), ['lo']);
});

test('Runtime.run maps users in a new user namespace', async () => {
  const { out, exit } = await s.run(['cat', '/proc/self/uid_map', '/proc/self/gid_map'], (spec) => {
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    // sysfs and cgroup dirs need the host's ids: keep this container to the basics
    spec.mounts = spec.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
  });
  assert.equal(exit.exitCode, 0, out);
  const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(lines, [['0', '200000', '65536'], ['0', '200000', '65536']]);
});

test('Runtime.run with a readonly rootfs refuses writes', async () => {
  const { out, exit } = await s.run(['sh', '-c', 'touch /newfile && echo wrote; touch /tmp/ok && echo tmp-ok']);
  assert.equal(exit.exitCode, 0);
  assert.match(out, /Read-only file system/);
  assert.doesNotMatch(out, /wrote/);
  assert.match(out, /tmp-ok/);
});

test('Runtime.run: a process over its memory limit is OOM-killed', async () => {
  const { exit } = await s.run(['sh', '-c', 'head -c 200000000 /dev/zero | tail > /dev/null'], (spec) => {
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
  });
  assert.notEqual(exit.exitCode, 0);
  assert.equal(exit.oomKilled, true);
});

test('Runtime.run: a fork bomb stops at pids.max', async () => {
  const { out } = await s.run(['sh', '-c', 'i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done; wait; echo looped'], (spec) => {
    spec.linux!.resources = { ...spec.linux!.resources, pids: { limit: 12 } };
  });
  assert.match(out, /can't fork/);
});

test('Runtime.run: dropped capabilities refuse, granted ones work', async () => {
  const denied = await s.run(['chown', '1', '/tmp']);
  assert.notEqual(denied.exit.exitCode, 0);
  assert.match(denied.out, /Operation not permitted/);
  const allowed = await s.run(['chown', '1', '/tmp'], (spec) => {
    const c = spec.process!.capabilities!;
    for (const k of ['bounding', 'effective', 'permitted'] as const) c[k] = [...(c[k] ?? []), 'CAP_CHOWN'];
  });
  assert.equal(allowed.exit.exitCode, 0, allowed.out);
});

test('Runtime.run clamps a full capability set to the bounding set', async () => {
  const { out, exit } = await s.run(['grep', 'CapBnd', '/proc/self/status'], (spec) => {
    const all = capabilityNames.map((n) => n);
    spec.process!.capabilities = { bounding: all, effective: all, permitted: all, inheritable: all };
  });
  assert.equal(exit.exitCode, 0, out);
  const inside = BigInt(`0x${out.trim().split(/\s+/)[1]}`);
  assert.equal(inside, readCapabilitySet('CapBnd'));
});

test('Runtime.run: a seccomp rule returns its errno', async () => {
  const { out, exit } = await s.run(['mkdir', '/tmp/x'], (spec) => {
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
    };
  });
  assert.notEqual(exit.exitCode, 0);
  assert.match(out, /Function not implemented/);
});

test('Runtime.run: masked paths read empty and readonly paths refuse writes', async () => {
  const { out, exit } = await s.run(['sh', '-c', 'wc -c < /proc/cpuinfo; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid || echo ro-ok'], (spec) => {
    spec.linux!.maskedPaths!.push('/proc/cpuinfo');
  });
  assert.equal(exit.exitCode, 0);
  const lines = out.trim().split('\n').map((l) => l.trim());
  assert.equal(lines[0], '0');
  assert.equal(lines[1], '0');
  assert.ok(lines.includes('ro-ok'), out);
});

test('Runtime.run propagates exit codes, env, cwd, user and rlimits', async () => {
  const { out, exit } = await s.run(['sh', '-c', 'echo $FOO; pwd; id -u; id -G; ulimit -n; exit 7'], (spec) => {
    spec.process!.env!.push('FOO=bar baz');
    spec.process!.cwd = '/tmp';
    spec.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 7] };
    spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 321 }];
  });
  assert.equal(exit.exitCode, 7);
  assert.deepEqual(out.trim().split('\n'), ['bar baz', '/tmp', '1000', '1000 5 7', '321']);
});

test('Runtime.run refuses a cwd outside the rootfs (CVE-2024-21626)', async () => {
  const bundle = s.bundle(['true'], (spec) => {
    spec.process!.cwd = '/proc/self/fd/5';
  });
  const id = s.id('cwd');
  await assert.rejects(s.runtime.run(id, { bundle, stdio: { mode: 'null' } }), /run ".*": chdir to cwd "\/proc\/self\/fd\/5"/);
  await assert.rejects(s.runtime.state(id), /does not exist/);
});

test('the monitor runs from a sealed memfd, not bin/berth-shim (CVE-2019-5736)', async () => {
  const bundle = s.bundle(['sleep', '30']);
  const id = s.id('exe');
  const st = await s.runtime.run(id, { bundle, stdio: { mode: 'null' }, detach: true });
  try {
    const ppid = Number(readFileSync(`/proc/${st.state.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    const { readlinkSync, openSync } = await import('node:fs');
    assert.match(readlinkSync(`/proc/${ppid}/exe`), /memfd:berth-shim/);
    assert.throws(() => openSync(`/proc/${ppid}/exe`, 'r+'));
  } finally {
    await s.runtime.delete(id, { force: true });
  }
});

test('a refused negative oomScoreAdj is clamped with a warning', async () => {
  const { Runtime } = await import('../../src/runtime/index.ts');
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m), with: () => logger };
  const rt = new Runtime({ root: s.root, logger });
  const bundle = s.bundle(['cat', '/proc/self/oom_score_adj'], (spec) => {
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
    spec.mounts = spec.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
    spec.process!.oomScoreAdj = -900;
  });
  const id = s.id('oom');
  const { openSync, closeSync, readFileSync: read } = await import('node:fs');
  const { join } = await import('node:path');
  const outPath = join(s.dir, `${id}.out`);
  const fd = openSync(outPath, 'w');
  const r = await rt.run(id, { bundle, stdio: { mode: 'inherit', fds: [fd, fd, fd] } });
  closeSync(fd);
  await rt.delete(id);
  assert.equal(r.exit?.exitCode, 0);
  assert.ok(Number(read(outPath, 'utf8').trim()) > -900);
  assert.ok(warnings.some((w) => /oom_score_adj -900 refused/.test(w)), warnings.join('; '));
});

test("Runtime.run under docker's default seccomp profile, with and without no_new_privs", async () => {
  const { dockerDefaultSeccomp } = await import('../../src/runtime/index.ts');
  for (const nnp of [true, false]) {
    const { out, exit } = await s.run(['sh', '-c', 'echo ok; unshare -U true || echo refused'], (spec) => {
      spec.process!.noNewPrivileges = nnp;
      spec.linux!.seccomp = dockerDefaultSeccomp(spec.process!.capabilities!.bounding ?? []);
    });
    assert.equal(exit.exitCode, 0, out);
    assert.match(out, /^ok$/m);
    assert.match(out, /refused/);
  }
});
