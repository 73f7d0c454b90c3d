import { invalidArgument } from '../../lib/index.ts';
import { X32_SYSCALL_BIT, hostSeccompArch, syscallTableFor } from '../linux/index.ts';
import type { SeccompArchInfo } from '../linux/index.ts';
import type { LinuxSeccomp, LinuxSeccompArg } from '../spec/index.ts';
import { BPF, BpfAssembler } from './bpf.ts';
import type { Label } from './bpf.ts';

/** seccomp(2) filter return values (linux/seccomp.h). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** seccomp(SECCOMP_SET_MODE_FILTER) flags. */
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

const EPERM = 1;

/** Offsets in struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }. */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLow = (i: number) => 16 + 8 * i;
const argHigh = (i: number) => 16 + 8 * i + 4;

export interface CompiledSeccomp {
  /** The filter: `length` little-endian struct sock_filter entries, ready for SECCOMP_SET_MODE_FILTER. */
  program: Buffer;
  length: number;
  /** Flags for seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog). */
  flags: number;
  /** Set when an action is SCMP_ACT_NOTIFY: send the listener fd there (with the state). */
  listenerPath?: string;
  /** Architectures listed but without a syscall table here; their syscalls get the bad-arch action. */
  skippedArchitectures: string[];
}

export interface CompileSeccompOptions {
  /** The OCI arch the filter always covers (libseccomp adds the native arch); default: this host. */
  nativeArch?: string;
  /** What a syscall of an architecture not in the filter gets (default SCMP_ACT_KILL_PROCESS). */
  badArchAction?: number;
}

interface Rule {
  args: LinuxSeccompArg[];
  ret: number;
}

interface SyscallRules {
  conditional: Rule[];
  unconditional?: number;
}

/** The filter return value of an OCI action. */
export function actionValue(action: string, errnoRet: number | undefined, path: string): number {
  const errno = errnoRet ?? EPERM;
  if (!Number.isInteger(errno) || errno < 0 || errno > 0xffff) throw invalidArgument(`seccomp: ${path}: errnoRet ${errno} out of range`);
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | errno) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | errno) >>> 0;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_NOTIFY':
      return SECCOMP_RET.USER_NOTIF;
    default:
      throw invalidArgument(`seccomp: ${path}: unknown action ${JSON.stringify(action)}`);
  }
}

function parseFlags(flags: readonly string[]): number {
  let out = 0;
  for (const f of flags) {
    const name = f.replace(/^SECCOMP_FILTER_FLAG_/, '') as keyof typeof SECCOMP_FILTER_FLAG;
    const bit = f.startsWith('SECCOMP_FILTER_FLAG_') ? SECCOMP_FILTER_FLAG[name] : undefined;
    if (bit === undefined || name === 'NEW_LISTENER') throw invalidArgument(`seccomp: flags: unknown flag ${JSON.stringify(f)}`);
    out |= bit;
  }
  return out;
}

const ops = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);

/**
 * A 64-bit argument value. JSON numbers above 2^53 arrive rounded: 18446744073709551615
 * (all ones, the usual large value) parses as 2^64 and is taken back to 2^64-1.
 */
function u64(v: number | bigint | undefined, path: string): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw invalidArgument(`seccomp: ${path}: value must be an integer`);
    if (v >= 2 ** 64) return 0xffffffffffffffffn;
    if (v < -(2 ** 63)) throw invalidArgument(`seccomp: ${path}: value ${v} out of range`);
  }
  return BigInt.asUintN(64, BigInt(v));
}

/**
 * Compiles the OCI `linux.seccomp` section into a classic BPF program as libseccomp would:
 * - the arch is checked first (x86_64 also tells x32 apart by X32_SYSCALL_BIT); other arches
 *   get `badArchAction`;
 * - for each syscall, its rules with argument conditions are tried in the order given (the
 *   conditions of one rule ANDed; rules ORed; a rule listing one argument index twice is split
 *   into one rule per condition, as runc does), then an unconditional rule, then the default;
 * - 64-bit arguments are compared on both 32-bit halves, unsigned;
 * - syscall names an arch does not have are ignored; unknown actions and operators throw.
 */
export function compileSeccomp(seccomp: LinuxSeccomp, options: CompileSeccompOptions = {}): CompiledSeccomp {
  const defaultRet = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet, 'defaultAction');
  let usesNotify = seccomp.defaultAction === 'SCMP_ACT_NOTIFY';
  let flags = parseFlags(seccomp.flags ?? []);
  const badArch = options.badArchAction ?? SECCOMP_RET.KILL_PROCESS;

  const native = options.nativeArch ?? hostSeccompArch();
  const archNames = [native, ...(seccomp.architectures ?? [])].filter((a, i, all) => all.indexOf(a) === i);
  const archs: SeccompArchInfo[] = [];
  const skippedArchitectures: string[] = [];
  for (const name of archNames) {
    const info = syscallTableFor(name);
    if (info) archs.push(info);
    else skippedArchitectures.push(name);
  }

  // Validate rules once, independent of arch.
  const rules: { names: string[]; rules: Rule[] }[] = [];
  (seccomp.syscalls ?? []).forEach((sc, i) => {
    const path = `syscalls[${i}]`;
    if (sc.action === 'SCMP_ACT_NOTIFY') usesNotify = true;
    const ret = actionValue(sc.action, sc.errnoRet, path);
    const args = sc.args ?? [];
    args.forEach((a, j) => {
      if (!ops.has(a.op)) throw invalidArgument(`seccomp: ${path}.args[${j}]: unknown operator ${JSON.stringify(a.op)}`);
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw invalidArgument(`seccomp: ${path}.args[${j}]: index ${a.index} out of range 0..5`);
      u64(a.value, `${path}.args[${j}]`);
      u64(a.valueTwo, `${path}.args[${j}]`);
    });
    const indexes = args.map((a) => a.index);
    const repeated = indexes.some((x, k) => indexes.indexOf(x) !== k);
    const split = repeated ? args.map((a) => ({ args: [a], ret })) : [{ args, ret }];
    rules.push({ names: sc.names, rules: split });
  });
  if (usesNotify) {
    if (!seccomp.listenerPath) throw invalidArgument('seccomp: SCMP_ACT_NOTIFY needs listenerPath');
    flags |= SECCOMP_FILTER_FLAG.NEW_LISTENER;
  }

  const asm = new BpfAssembler();
  const byAudit = new Map<number, { normal?: SeccompArchInfo; x32?: SeccompArchInfo; label: Label }>();
  for (const a of archs) {
    const entry = byAudit.get(a.audit) ?? { label: asm.label() };
    if (a.x32) entry.x32 = a;
    else entry.normal = a;
    byAudit.set(a.audit, entry);
  }

  asm.stmt(BPF.LD_W_ABS, OFF_ARCH);
  for (const [audit, entry] of byAudit) asm.jump(BPF.JMP_JEQ_K, audit, entry.label, null);
  asm.stmt(BPF.RET_K, badArch);

  for (const entry of byAudit.values()) {
    asm.place(entry.label);
    asm.stmt(BPF.LD_W_ABS, OFF_NR);
    // On x86_64's audit arch, x32 syscalls carry X32_SYSCALL_BIT: route them to the x32 rules,
    // or to the bad-arch action when x32 is not in the filter. Jumps only go forward, so this
    // section has its own bad-arch return.
    const localBad = asm.label();
    let needsLocalBad = false;
    let x32Label: Label | undefined;
    if (entry.x32 !== undefined || entry.normal?.audit === 0xc000003e) {
      x32Label = entry.x32 ? asm.label() : localBad;
      const otherwise = entry.normal ? null : localBad;
      needsLocalBad = !entry.x32 || !entry.normal;
      asm.jump(BPF.JMP_JGE_K, X32_SYSCALL_BIT, x32Label, otherwise);
    }
    if (entry.normal) emitArch(asm, entry.normal, rules, defaultRet);
    if (entry.x32 && x32Label) {
      asm.place(x32Label);
      emitArch(asm, entry.x32, rules, defaultRet);
    }
    if (needsLocalBad) {
      asm.place(localBad);
      asm.stmt(BPF.RET_K, badArch);
    }
  }

  const program = asm.assemble();
  const out: CompiledSeccomp = { program, length: program.length / 8, flags, skippedArchitectures };
  if (usesNotify && seccomp.listenerPath) out.listenerPath = seccomp.listenerPath;
  return out;
}

function emitArch(asm: BpfAssembler, arch: SeccompArchInfo, rules: { names: string[]; rules: Rule[] }[], defaultRet: number): void {
  const bySyscall = new Map<number, SyscallRules>();
  for (const r of rules) {
    for (const name of r.names) {
      const nr = arch.table[name];
      if (nr === undefined) continue;
      const entry = bySyscall.get(nr) ?? { conditional: [] };
      for (const rule of r.rules) {
        if (rule.args.length > 0) entry.conditional.push(rule);
        else entry.unconditional ??= rule.ret;
      }
      bySyscall.set(nr, entry);
    }
  }
  // Consecutive numbers with the same unconditional action share one range test: docker's
  // profile is ~50 ranges per arch instead of ~300 syscalls, a program a fifth as long, which the
  // kernel checks, converts, JITs and pre-evaluates per syscall (the action cache) at each load.
  const ranges: { lo: number; hi: number; entry: SyscallRules }[] = [];
  for (const nr of [...bySyscall.keys()].sort((a, b) => a - b)) {
    const entry = bySyscall.get(nr)!;
    const last = ranges.at(-1);
    const plain = (e: SyscallRules) => e.conditional.length === 0;
    if (last && last.hi === nr - 1 && plain(last.entry) && plain(entry) && last.entry.unconditional === entry.unconditional) last.hi = nr;
    else ranges.push({ lo: nr, hi: nr, entry });
  }
  const unlisted = asm.label();
  for (const { lo, hi, entry } of ranges) {
    const next = asm.label();
    if (lo === hi) {
      asm.jump(BPF.JMP_JEQ_K, lo, null, next);
    } else {
      // the ranges ascend, so a number below this one (and above the last) is listed nowhere
      asm.jump(BPF.JMP_JGT_K, hi, next, null);
      asm.jump(BPF.JMP_JGE_K, lo, null, unlisted);
    }
    for (const rule of entry.conditional) {
      const fail = asm.label();
      for (const arg of rule.args) emitCondition(asm, arg, fail);
      asm.stmt(BPF.RET_K, rule.ret);
      asm.place(fail);
      // Conditions clobber the accumulator; the next rule reloads what it needs.
    }
    asm.stmt(BPF.RET_K, entry.unconditional ?? defaultRet);
    asm.place(next);
  }
  asm.place(unlisted);
  asm.stmt(BPF.RET_K, defaultRet);
  // Every branch above ends in a return, and the accumulator holds nr at each `next` label
  // because bodies never fall through to it.
}

/** Emits a 64-bit argument test that falls through when it holds and jumps to `fail` when not. */
function emitCondition(asm: BpfAssembler, arg: LinuxSeccompArg, fail: Label): void {
  const v = u64(arg.value, 'args');
  const hi = Number(v >> 32n);
  const lo = Number(v & 0xffffffffn);
  const i = arg.index;
  const pass = asm.label();
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      asm.stmt(BPF.LD_W_ABS, argHigh(i));
      asm.jump(BPF.JMP_JEQ_K, hi, null, fail);
      asm.stmt(BPF.LD_W_ABS, argLow(i));
      asm.jump(BPF.JMP_JEQ_K, lo, null, fail);
      break;
    case 'SCMP_CMP_NE':
      asm.stmt(BPF.LD_W_ABS, argHigh(i));
      asm.jump(BPF.JMP_JEQ_K, hi, null, pass);
      asm.stmt(BPF.LD_W_ABS, argLow(i));
      asm.jump(BPF.JMP_JEQ_K, lo, fail, null);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      asm.stmt(BPF.LD_W_ABS, argHigh(i));
      asm.jump(BPF.JMP_JGT_K, hi, pass, null);
      asm.jump(BPF.JMP_JEQ_K, hi, null, fail);
      asm.stmt(BPF.LD_W_ABS, argLow(i));
      asm.jump(arg.op === 'SCMP_CMP_GT' ? BPF.JMP_JGT_K : BPF.JMP_JGE_K, lo, null, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      asm.stmt(BPF.LD_W_ABS, argHigh(i));
      asm.jump(BPF.JMP_JGT_K, hi, fail, null);
      asm.jump(BPF.JMP_JEQ_K, hi, null, pass);
      asm.stmt(BPF.LD_W_ABS, argLow(i));
      asm.jump(arg.op === 'SCMP_CMP_LT' ? BPF.JMP_JGE_K : BPF.JMP_JGT_K, lo, fail, null);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      const want = u64(arg.valueTwo, 'args');
      asm.stmt(BPF.LD_W_ABS, argHigh(i));
      asm.stmt(BPF.ALU_AND_K, hi);
      asm.jump(BPF.JMP_JEQ_K, Number(want >> 32n), null, fail);
      asm.stmt(BPF.LD_W_ABS, argLow(i));
      asm.stmt(BPF.ALU_AND_K, lo);
      asm.jump(BPF.JMP_JEQ_K, Number(want & 0xffffffffn), null, fail);
      break;
    }
    default:
      throw invalidArgument(`seccomp: unknown operator ${JSON.stringify(arg.op)}`);
  }
  asm.place(pass);
}
