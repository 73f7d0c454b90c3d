import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { nativeSys } from '../../sys/index.ts';
import { dockerDefaultDeviceRules } from '../spec/index.ts';
import type { LinuxDeviceCgroup } from '../spec/index.ts';
import { CgroupV2Manager, compileDeviceFilter, deviceFilterInstructions, deviceProgramIds, isCgroup2Mount, normalizeDeviceRule, setDeviceProgram } from './index.ts';

const UNIFIED = '/sys/fs/cgroup/unified';

function needRoot(): void {
  assert.equal(process.getuid?.(), 0, 'device program tests load bpf programs and write /sys/fs/cgroup: they must run as root');
  assert.ok(isCgroup2Mount(UNIFIED), `${UNIFIED} must be a cgroup2 mount (hybrid host)`);
}

/** Shell snippets a probe runs, each reported as "ok", "eperm" or "other: <message>". */
const checks: Record<string, string> = {
  'null r': ': < /dev/null',
  'null w': ': > /dev/null',
  'null rw': ': <> /dev/null',
  'zero r': ': < /dev/zero',
  'zero w': ': > /dev/zero',
  'full r': ': < /dev/full',
  'urandom r': ': < /dev/urandom',
  'mknod c 1:3': 'mknod "$T/n13" c 1 3',
  'mknod c 1:7': 'mknod "$T/n17" c 1 7',
  'mknod b 7:0': 'mknod "$T/b70" b 7 0',
  'loop0 r': ': < /dev/loop0',
};

/** Runs every check in a shell moved first into a cgroup v2 `dir`, and returns the results. */
async function probe(dir: string): Promise<Record<string, string>> {
  const tmp = mkdtempSync(join(tmpdir(), 'berth-devfilter-'));
  const lines = Object.entries(checks).map(([name, cmd]) => {
    const n = JSON.stringify(name);
    return `if out=$( { ${cmd} ; } 2>&1 ); then echo ${n}=ok; else case "$out" in *"not permitted"*) echo ${n}=eperm;; *) echo ${n}="other: $out";; esac; fi`;
  });
  const child = spawn('sh', ['-c', `read go\nT=${tmp}\n${lines.join('\n')}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stdin!.end('go\n');
    assert.equal(await done, 0);
    await new Promise((r) => setImmediate(r));
    return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
  } finally {
    child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function withCgroup<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(UNIFIED, `berth-devtest-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir);
  try {
    return await fn(dir);
  } finally {
    for (let i = 0; i < 100 && existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

const c = (major: number, minor: number, access: string, allow = true): LinuxDeviceCgroup => ({ allow, type: 'c', major, minor, access });
const denyAll: LinuxDeviceCgroup = { allow: false, access: 'rwm' };

test('normalizeDeviceRule fills wildcards and refuses bad rules', () => {
  assert.deepEqual(normalizeDeviceRule({ allow: false }), { allow: false, type: 'a', major: -1, minor: -1, access: 7 });
  assert.deepEqual(normalizeDeviceRule({ allow: true, type: 'c', major: 1, minor: null, access: 'rw' }), { allow: true, type: 'c', major: 1, minor: -1, access: 6 });
  assert.throws(() => normalizeDeviceRule({ allow: true, type: 'x' }), /invalid type "x"/);
  assert.throws(() => normalizeDeviceRule({ allow: true, access: 'rx' }), /invalid access "rx"/);
  assert.throws(() => normalizeDeviceRule({ allow: true, major: -5 }), /invalid major -5/);
});

test('deviceFilterInstructions stops at a rule covering everything and jumps past each block', () => {
  const prologue = 6;
  // deny-all first, walked last: it is the default at the end and nothing follows it
  const insns = deviceFilterInstructions([denyAll, c(1, 3, 'rwm')]);
  assert.equal(insns.length, prologue + 3 + 2 + 2, 'type, major, minor compares + verdict, then the deny-all');
  assert.deepEqual(insns.slice(prologue, prologue + 3).map((i) => i.off), [4, 3, 2], 'each compare lands after the verdict');
  assert.deepEqual(insns.at(-2), { code: 0xb4, dst: 0, src: 0, off: 0, imm: 0 });
  // an allow-all last: the earlier rules are never reached and not emitted
  assert.equal(deviceFilterInstructions([c(1, 3, 'rwm', false), { allow: true }]).length, prologue + 2);
  // no rule covering everything: the default is deny
  assert.equal(deviceFilterInstructions([c(1, 3, 'r')]).at(-2)?.imm, 0);
  assert.equal(compileDeviceFilter([denyAll]).length, (prologue + 2) * 8);
});

test('compileDeviceFilter golden: deny all, allow c 1:3 rwm', () => {
  const hex = [
    '6112000000000000', // r2 = ctx->access_type
    '54020000ffff0000', // r2 &= 0xffff (device type)
    '6113000000000000', // r3 = ctx->access_type
    '7403000010000000', // r3 >>= 16 (access)
    '6114040000000000', // r4 = ctx->major
    '6115080000000000', // r5 = ctx->minor
    '5602040002000000', // if r2 != char goto +4
    '5604030001000000', // if r4 != 1 goto +3
    '5605020003000000', // if r5 != 3 goto +2
    'b400000001000000', // r0 = 1 (allow)
    '9500000000000000', // exit
    'b400000000000000', // r0 = 0 (the deny-all rule)
    '9500000000000000', // exit
  ].join('');
  assert.equal(compileDeviceFilter([denyAll, c(1, 3, 'rwm')]).toString('hex'), hex);
  // a partial allow checks (access & rule) == access; a partial deny (access & rule) != 0
  const allowR = deviceFilterInstructions([c(1, 3, 'r')]).slice(6, 9);
  assert.deepEqual(allowR.map((i) => [i.code, i.dst, i.src, i.imm]), [[0x56, 2, 0, 2], [0xbc, 1, 3, 0], [0x54, 1, 0, 2]]);
  assert.deepEqual(deviceFilterInstructions([c(1, 3, 'r')])[9], { code: 0x5e, dst: 1, src: 3, off: 4, imm: 0 });
  assert.deepEqual(deviceFilterInstructions([c(1, 3, 'w', false)])[9], { code: 0x16, dst: 1, src: 0, off: 4, imm: 0 });
});

test('setDeviceProgram: deny all, allow c 1:3 rwm is enforced by the kernel', async () => {
  needRoot();
  await withCgroup(async (dir) => {
    setDeviceProgram(dir, [denyAll, c(1, 3, 'rwm')]);
    assert.equal(deviceProgramIds(dir).length, 1);
    const r = await probe(dir);
    assert.equal(r['null r'], 'ok');
    assert.equal(r['null rw'], 'ok');
    assert.equal(r['mknod c 1:3'], 'ok');
    assert.equal(r['zero r'], 'eperm');
    assert.equal(r['zero w'], 'eperm');
    assert.equal(r['mknod c 1:7'], 'eperm');
    assert.equal(r['mknod b 7:0'], 'eperm');
    assert.equal(r['loop0 r'], 'eperm');
  });
});

test('setDeviceProgram: access bits, wildcards, last match wins, and replacement on update', async () => {
  needRoot();
  await withCgroup(async (dir) => {
    // read-only /dev/null, rwm on every 1:* but a later deny of writes to 1:5, mknod of no block device
    setDeviceProgram(dir, [denyAll, c(1, 3, 'r'), c(1, -1, 'rwm'), c(1, 5, 'w', false), c(1, 3, 'rw')]);
    let r = await probe(dir);
    assert.equal(r['null rw'], 'ok', 'the last rule (rw on 1:3) wins over the wildcard');
    assert.equal(r['zero r'], 'ok');
    assert.equal(r['zero w'], 'eperm', 'a later deny of w beats the earlier 1:* rwm');
    assert.equal(r['full r'], 'ok');
    assert.equal(r['mknod c 1:7'], 'ok');
    assert.equal(r['mknod b 7:0'], 'eperm');

    // update: the new program replaces the old one (a single program stays attached)
    setDeviceProgram(dir, [denyAll, c(1, 3, 'r'), { allow: true, type: 'b', major: -1, minor: -1, access: 'm' }]);
    assert.equal(deviceProgramIds(dir).length, 1, 'the old program was detached');
    r = await probe(dir);
    assert.equal(r['null r'], 'ok');
    assert.equal(r['null w'], 'eperm', 'r without w');
    assert.equal(r['null rw'], 'eperm');
    assert.equal(r['mknod c 1:3'], 'eperm', 'r without m');
    assert.equal(r['mknod b 7:0'], 'ok', 'b *:* m');
    assert.equal(r['loop0 r'], 'eperm', 'm without r');
    assert.equal(r['urandom r'], 'eperm');

    // allow everything but writes to 1:7 (no deny-all: an allow-all first)
    setDeviceProgram(dir, [{ allow: true, access: 'rwm' }, c(1, 7, 'w', false)]);
    r = await probe(dir);
    assert.equal(r['full r'], 'ok');
    assert.equal(r['loop0 r'], 'ok');
    assert.equal(r['mknod c 1:7'], 'ok');
    assert.equal(r['zero w'], 'ok');

    // Docker's default rules load and allow the usual devices
    setDeviceProgram(dir, dockerDefaultDeviceRules);
    r = await probe(dir);
    assert.equal(r['null rw'], 'ok');
    assert.equal(r['urandom r'], 'ok');
    assert.equal(r['mknod b 7:0'], 'ok');
    assert.equal(r['loop0 r'], 'eperm');
  });
});

test('bpfLoadDeviceProgram refuses a bad program with the verifier message', () => {
  needRoot();
  // reads r2 before anything wrote it
  const bad = Buffer.from([0xbf, 0x20, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => nativeSys().bpfLoadDeviceProgram(bad, 'Apache'), (err: NodeJS.ErrnoException) => err.code === 'EACCES' && /R2 !read_ok/.test(err.message));
});

test('CgroupV2Manager.set applies linux.resources.devices through a device program', async (t) => {
  needRoot();
  const mgr = new CgroupV2Manager(`/berth-test-${randomBytes(4).toString('hex')}`, { root: UNIFIED });
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.after(async () => {
    child.kill('SIGKILL');
    await mgr.remove();
  });
  mgr.apply(child.pid!);
  mgr.set({ devices: [denyAll, c(1, 3, 'rwm'), c(1, 9, 'r')] });
  assert.equal(deviceProgramIds(mgr.path).length, 1);
  mgr.set({ devices: [denyAll, c(1, 3, 'rwm')] });
  assert.equal(deviceProgramIds(mgr.path).length, 1, 'update replaces the program');
  mgr.set({ hugepageLimits: [{ pageSize: '2MB', limit: 2 * 1024 * 1024 }] });
  assert.equal(deviceProgramIds(mgr.path).length, 1, 'a set without devices keeps it');
  const r = await probe(mgr.path);
  assert.equal(r['null rw'], 'ok');
  assert.equal(r['urandom r'], 'eperm');
  assert.equal(r['zero r'], 'eperm');
});
