import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidArgument } from '../../lib/index.ts';
import { x86_64Syscalls, i386Syscalls, x32Syscalls, aarch64Syscalls, AUDIT_ARCH } from '../linux/index.ts';
import type { LinuxSeccomp, SeccompOperator } from '../spec/index.ts';
import { compileSeccomp, dockerDefaultSeccomp, SECCOMP_RET, SECCOMP_FILTER_FLAG, BPF_MAXINSNS } from './index.ts';

interface SeccompData {
  nr: number;
  arch?: number;
  args?: (number | bigint)[];
}

/** A classic-BPF interpreter for seccomp filters: the kernel's semantics for the opcodes we emit. */
function run(program: Buffer, data: SeccompData): number {
  const mem = Buffer.alloc(64);
  mem.writeInt32LE(data.nr | 0, 0);
  mem.writeUInt32LE(data.arch ?? AUDIT_ARCH.X86_64, 4);
  (data.args ?? []).forEach((a, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i));
  const count = program.length / 8;
  assert.ok(count <= BPF_MAXINSNS, 'program within BPF_MAXINSNS');
  let A = 0;
  let pc = 0;
  for (let steps = 0; steps <= count; steps++) {
    assert.ok(pc < count, `pc ${pc} out of program (${count})`);
    const at = pc * 8;
    const code = program.readUInt16LE(at);
    const jt = program.readUInt8(at + 2);
    const jf = program.readUInt8(at + 3);
    const k = program.readUInt32LE(at + 4);
    pc++;
    switch (code) {
      case 0x20:
        assert.ok(k % 4 === 0 && k < 64, `aligned load ${k}`);
        A = mem.readUInt32LE(k);
        break;
      case 0x54:
        A = (A & k) >>> 0;
        break;
      case 0x05:
        pc += k;
        break;
      case 0x15:
        pc += A === k ? jt : jf;
        break;
      case 0x25:
        pc += A > k ? jt : jf;
        break;
      case 0x35:
        pc += A >= k ? jt : jf;
        break;
      case 0x45:
        pc += (A & k) !== 0 ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        assert.fail(`unknown opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  return assert.fail('program did not return');
}

const nr = (name: string) => x86_64Syscalls[name]!;
const errno = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;
const x64 = { nativeArch: 'SCMP_ARCH_X86_64' };

const interesting = [
  0n, 1n, 5n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000005n, 0x1ffffffffn,
  0xffffffff00000000n, 0xfffffffffffffffen, 0xffffffffffffffffn, 0x500000000n,
];

function holds(op: SeccompOperator, a: bigint, v: bigint, v2: bigint): boolean {
  switch (op) {
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_MASKED_EQ': return (a & v) === v2;
  }
}

test('compileSeccomp compares 64-bit arguments correctly for every operator', () => {
  const opsList: SeccompOperator[] = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE'];
  for (const op of opsList) {
    for (const v of interesting) {
      const prog = compileSeccomp({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 2, value: v, op }] }],
      }, x64).program;
      for (const a of interesting) {
        const got = run(prog, { nr: nr('getpid'), args: [0, 0, a] });
        assert.equal(got, holds(op, a, v, 0n) ? errno(7) : SECCOMP_RET.ALLOW, `${op} arg=${a.toString(16)} value=${v.toString(16)}`);
      }
    }
  }
  const masks: [bigint, bigint][] = [[0xffn, 0x5n], [0xff00000000n, 0x1100000000n], [0x7e020000n, 0n], [0xffffffffffffffffn, 0x100000005n]];
  for (const [mask, want] of masks) {
    const prog = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 5, value: mask, valueTwo: want, op: 'SCMP_CMP_MASKED_EQ' }] }],
    }, x64).program;
    for (const a of [...interesting, 0x1100000005n, 0x10000000n, 0x1105n]) {
      const got = run(prog, { nr: nr('getpid'), args: [0, 0, 0, 0, 0, a] });
      assert.equal(got, holds('SCMP_CMP_MASKED_EQ', a, mask, want) ? errno(1) : SECCOMP_RET.ALLOW, `masked ${mask.toString(16)}==${want.toString(16)} a=${a.toString(16)}`);
    }
  }
});

test('compileSeccomp keeps all-ones 64-bit values that JSON rounds up', () => {
  const parsed = JSON.parse('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}') as LinuxSeccomp;
  const prog = compileSeccomp(parsed, x64).program;
  assert.equal(run(prog, { nr: nr('getpid'), args: [0xffffffffffffffffn] }), errno(1));
  assert.equal(run(prog, { nr: nr('getpid'), args: [0] }), SECCOMP_RET.ALLOW);
});

test('compileSeccomp ANDs the conditions of a rule and ORs rules of one syscall', () => {
  const prog = compileSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 2, value: 100, op: 'SCMP_CMP_LT' }] },
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 28 },
      // one index twice: split into two ORed rules, as runc does
      { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }, { index: 1, value: 15, op: 'SCMP_CMP_EQ' }] },
    ],
  }, x64).program;
  assert.equal(run(prog, { nr: nr('write'), args: [1, 0, 10] }), SECCOMP_RET.ALLOW);
  assert.equal(run(prog, { nr: nr('write'), args: [1, 0, 100] }), errno(28));
  assert.equal(run(prog, { nr: nr('write'), args: [2, 0, 1000] }), SECCOMP_RET.ALLOW);
  assert.equal(run(prog, { nr: nr('write'), args: [3, 0, 1] }), errno(28));
  assert.equal(run(prog, { nr: nr('kill'), args: [1, 9] }), SECCOMP_RET.ALLOW);
  assert.equal(run(prog, { nr: nr('kill'), args: [1, 15] }), SECCOMP_RET.ALLOW);
  assert.equal(run(prog, { nr: nr('kill'), args: [1, 2] }), errno(1));
  assert.equal(run(prog, { nr: nr('read') }), errno(1));
});

test('compileSeccomp maps every action and errno value', () => {
  const cases: [LinuxSeccomp['defaultAction'], number | undefined, number][] = [
    ['SCMP_ACT_KILL', undefined, SECCOMP_RET.KILL_THREAD],
    ['SCMP_ACT_KILL_THREAD', undefined, SECCOMP_RET.KILL_THREAD],
    ['SCMP_ACT_KILL_PROCESS', undefined, SECCOMP_RET.KILL_PROCESS],
    ['SCMP_ACT_TRAP', undefined, SECCOMP_RET.TRAP],
    ['SCMP_ACT_ERRNO', undefined, errno(1)],
    ['SCMP_ACT_ERRNO', 13, errno(13)],
    ['SCMP_ACT_ERRNO', 0, errno(0)],
    ['SCMP_ACT_TRACE', 5, (SECCOMP_RET.TRACE | 5) >>> 0],
    ['SCMP_ACT_ALLOW', undefined, SECCOMP_RET.ALLOW],
    ['SCMP_ACT_LOG', undefined, SECCOMP_RET.LOG],
  ];
  for (const [action, ret, want] of cases) {
    const s: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getuid'], action, ...(ret === undefined ? {} : { errnoRet: ret }) }] };
    assert.equal(run(compileSeccomp(s, x64).program, { nr: nr('getuid') }), want, `${action} ${ret}`);
    const d: LinuxSeccomp = { defaultAction: action, ...(ret === undefined ? {} : { defaultErrnoRet: ret }) };
    assert.equal(run(compileSeccomp(d, x64).program, { nr: nr('getuid') }), want, `default ${action} ${ret}`);
  }
  const notify = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/x.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, x64);
  assert.equal(run(notify.program, { nr: nr('mkdir') }), SECCOMP_RET.USER_NOTIF);
  assert.equal(notify.flags & SECCOMP_FILTER_FLAG.NEW_LISTENER, SECCOMP_FILTER_FLAG.NEW_LISTENER);
  assert.equal(notify.listenerPath, '/run/x.sock');
});

test('compileSeccomp rejects unknown actions, operators, flags and bad values', () => {
  const bad: [LinuxSeccomp, RegExp][] = [
    [{ defaultAction: 'SCMP_ACT_BOGUS' as 'SCMP_ACT_ALLOW' }, /seccomp: defaultAction: unknown action "SCMP_ACT_BOGUS"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'NOPE' as 'SCMP_ACT_ALLOW' }] }, /syscalls\[0\]: unknown action "NOPE"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' as 'SCMP_CMP_EQ' }] }] }, /syscalls\[0\].args\[0\]: unknown operator "SCMP_CMP_XX"/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /index 6 out of range/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }, /unknown flag "SECCOMP_FILTER_FLAG_BOGUS"/],
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, /SCMP_ACT_NOTIFY needs listenerPath/],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_PDP11'] }, /unknown architecture "SCMP_ARCH_PDP11"/],
  ];
  for (const [s, re] of bad) assert.throws(() => compileSeccomp(s, x64), (e: unknown) => isInvalidArgument(e) && re.test((e as Error).message), String(re));
  const flags = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG'] }, x64).flags;
  assert.equal(flags, SECCOMP_FILTER_FLAG.TSYNC | SECCOMP_FILTER_FLAG.LOG);
});

test('compileSeccomp ignores syscall names an architecture lacks', () => {
  const prog = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
    syscalls: [{ names: ['open', 'no_such_syscall', 'openat'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 }],
  }, x64).program;
  assert.equal(run(prog, { nr: nr('open') }), errno(2));
  assert.equal(run(prog, { nr: nr('openat') }), errno(2));
  assert.equal(run(prog, { nr: aarch64Syscalls['openat']!, arch: AUDIT_ARCH.AARCH64 }), errno(2));
  // aarch64 has no open(2): its number there (2 = io_destroy... no, 2 is io_submit) is untouched
  assert.equal(run(prog, { nr: 2, arch: AUDIT_ARCH.AARCH64 }), SECCOMP_RET.ALLOW);
});

test('compileSeccomp kills other architectures and tells x32 apart', () => {
  const only64 = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'] }, x64).program;
  assert.equal(run(only64, { nr: 0, arch: AUDIT_ARCH.I386 }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(run(only64, { nr: 0, arch: AUDIT_ARCH.AARCH64 }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(run(only64, { nr: 0x40000000 }), SECCOMP_RET.KILL_PROCESS, 'x32 syscall without SCMP_ARCH_X32');
  assert.equal(run(only64, { nr: 0 }), SECCOMP_RET.ALLOW);

  const withX32 = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86'],
    syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  }, x64).program;
  assert.equal(run(withX32, { nr: nr('execve') }), errno(13));
  assert.equal(run(withX32, { nr: x32Syscalls['execve']! }), errno(13));
  assert.equal(run(withX32, { nr: 0x40000000 + nr('execve') }), SECCOMP_RET.ALLOW, 'x32 uses its own execve number');
  assert.equal(run(withX32, { nr: i386Syscalls['execve']!, arch: AUDIT_ARCH.I386 }), errno(13));
  // the native arch is always covered, even when not listed (as libseccomp does)
  const arm = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_AARCH64'] }, x64).program;
  assert.equal(run(arm, { nr: 0 }), SECCOMP_RET.ALLOW);
  assert.equal(run(arm, { nr: 0, arch: AUDIT_ARCH.AARCH64 }), SECCOMP_RET.ALLOW);
  assert.equal(run(arm, { nr: 0, arch: AUDIT_ARCH.ARM }), SECCOMP_RET.KILL_PROCESS);
});

test('compileSeccomp handles jumps longer than 255 instructions', () => {
  const syscalls: LinuxSeccomp['syscalls'] = [];
  for (let i = 0; i < 300; i++) {
    syscalls.push({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: i + 1, args: [{ index: 0, value: i, op: 'SCMP_CMP_EQ' }] });
  }
  syscalls.push({ names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 999 });
  const out = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls }, x64);
  assert.ok(out.length > 600, `long program (${out.length})`);
  assert.equal(run(out.program, { nr: nr('read'), args: [0] }), errno(1));
  assert.equal(run(out.program, { nr: nr('read'), args: [299] }), errno(300));
  assert.equal(run(out.program, { nr: nr('read'), args: [300] }), SECCOMP_RET.ALLOW);
  assert.equal(run(out.program, { nr: nr('write') }), errno(999));
  assert.equal(run(out.program, { nr: i386Syscalls['write']!, arch: AUDIT_ARCH.I386 }), errno(999));
  assert.equal(run(out.program, { nr: i386Syscalls['read']!, arch: AUDIT_ARCH.I386, args: [150] }), errno(151));
  assert.equal(run(out.program, { nr: nr('getpid') }), SECCOMP_RET.ALLOW);
});

test('dockerDefaultSeccomp denies privileged syscalls without their capability', () => {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
    'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
  const profile = dockerDefaultSeccomp(caps, 'SCMP_ARCH_X86_64');
  assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const out = compileSeccomp(profile, x64);
  assert.ok(out.length <= BPF_MAXINSNS);
  const p = out.program;
  const EPERM = errno(1);
  assert.equal(run(p, { nr: nr('read') }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: nr('execve') }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: nr('arch_prctl') }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: nr('chroot') }), SECCOMP_RET.ALLOW, 'CAP_SYS_CHROOT given');
  assert.equal(run(p, { nr: nr('mount') }), EPERM);
  assert.equal(run(p, { nr: nr('unshare') }), EPERM);
  assert.equal(run(p, { nr: nr('reboot') }), EPERM);
  assert.equal(run(p, { nr: nr('kexec_load') }), EPERM);
  assert.equal(run(p, { nr: nr('ptrace') }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: nr('clone'), args: [0x11] }), SECCOMP_RET.ALLOW, 'fork-like clone(SIGCHLD)');
  assert.equal(run(p, { nr: nr('clone'), args: [0x3d0f00] }), SECCOMP_RET.ALLOW, 'thread clone');
  assert.equal(run(p, { nr: nr('clone'), args: [0x10000000 | 0x11] }), EPERM, 'CLONE_NEWUSER');
  assert.equal(run(p, { nr: nr('clone'), args: [0x40000000 | 0x11] }), EPERM, 'CLONE_NEWNET');
  assert.equal(run(p, { nr: nr('clone3') }), errno(38), 'clone3 → ENOSYS');
  assert.equal(run(p, { nr: nr('socket'), args: [2, 1, 0] }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: nr('socket'), args: [40, 1, 0] }), EPERM, 'AF_VSOCK');
  assert.equal(run(p, { nr: nr('personality'), args: [0x8] }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: nr('personality'), args: [0xffffffff] }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: nr('personality'), args: [0x400000] }), EPERM, 'READ_IMPLIES_EXEC');
  assert.equal(run(p, { nr: i386Syscalls['read']!, arch: AUDIT_ARCH.I386 }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: i386Syscalls['mount']!, arch: AUDIT_ARCH.I386 }), EPERM);
  assert.equal(run(p, { nr: x32Syscalls['read']! }), SECCOMP_RET.ALLOW);
  assert.equal(run(p, { nr: 0, arch: AUDIT_ARCH.AARCH64 }), SECCOMP_RET.KILL_PROCESS);

  const admin = compileSeccomp(dockerDefaultSeccomp([...caps, 'CAP_SYS_ADMIN', 'sys_ptrace']), x64).program;
  assert.equal(run(admin, { nr: nr('mount') }), SECCOMP_RET.ALLOW);
  assert.equal(run(admin, { nr: nr('clone'), args: [0x10000000 | 0x11] }), SECCOMP_RET.ALLOW);
  assert.equal(run(admin, { nr: nr('clone3') }), SECCOMP_RET.ALLOW);
  assert.equal(run(admin, { nr: nr('kcmp') }), SECCOMP_RET.ALLOW);
  assert.equal(run(admin, { nr: nr('reboot') }), EPERM);

  const arm = dockerDefaultSeccomp(caps, 'SCMP_ARCH_AARCH64');
  const armProg = compileSeccomp(arm, { nativeArch: 'SCMP_ARCH_AARCH64' });
  assert.deepEqual(armProg.skippedArchitectures, ['SCMP_ARCH_ARM']);
  assert.equal(run(armProg.program, { nr: aarch64Syscalls['read']!, arch: AUDIT_ARCH.AARCH64 }), SECCOMP_RET.ALLOW);
  assert.equal(run(armProg.program, { nr: aarch64Syscalls['mount']!, arch: AUDIT_ARCH.AARCH64 }), EPERM);
  assert.equal(run(armProg.program, { nr: 0 }), SECCOMP_RET.KILL_PROCESS);
});

test('compileSeccomp gives every syscall number of every arch its action, ranges included', () => {
  const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SYS_CHROOT'];
  const profile = dockerDefaultSeccomp(caps, 'SCMP_ARCH_X86_64');
  const out = compileSeccomp(profile, x64);
  // consecutive syscalls with one action share a range test (a fifth of one test per syscall)
  assert.ok(out.length < 800, `${out.length} instructions`);
  const defaultRet = errno(profile.defaultErrnoRet ?? 1);
  const tables: [Record<string, number>, number][] = [[x86_64Syscalls, AUDIT_ARCH.X86_64], [i386Syscalls, AUDIT_ARCH.I386], [x32Syscalls, AUDIT_ARCH.X86_64]];
  let checked = 0;
  for (const [table, arch] of tables) {
    const byNr = new Map(Object.entries(table).map(([name, n]) => [n, name]));
    const numbers = [...byNr.keys()];
    for (let n = Math.min(...numbers); n <= Math.max(...numbers) + 2; n++) {
      const name = byNr.get(n);
      const rules = (profile.syscalls ?? []).filter((s) => name !== undefined && s.names.includes(name));
      if (rules.some((s) => (s.args?.length ?? 0) > 0)) continue; // argument conditions: tested above
      const rule = rules[0];
      const want = rule ? (rule.action === 'SCMP_ACT_ALLOW' ? SECCOMP_RET.ALLOW : errno(rule.errnoRet ?? 1)) : defaultRet;
      assert.equal(run(out.program, { nr: n, arch }), want, `${name ?? 'unlisted'} (${n}) on arch ${arch.toString(16)}`);
      checked++;
    }
  }
  assert.ok(checked > 900, `${checked} numbers checked`);
});
