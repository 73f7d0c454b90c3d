/**
 * The cgroup v2 devices controller is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to
 * the cgroup: the kernel runs it on every open/mknod of a device node and denies when it returns 0.
 * This file assembles that program from the OCI `linux.resources.devices` rules, as runc's
 * devicefilter does: the rules are walked last to first (the last matching rule wins), each one a
 * block of compares that returns its verdict when all match; a rule covering every device and
 * every access ends the walk; what no rule matches is denied (the rules are an allow-list, like
 * the v1 manager's, which starts from `devices.deny a`).
 */
import { invalidArgument } from '../../lib/index.ts';
import type { LinuxDeviceCgroup } from '../spec/index.ts';

/** struct bpf_cgroup_dev_ctx: access_type (type | access << 16), major, minor. */
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

/** The license the program is loaded with (the kernel wants one; any GPL-compatible text). */
export const DEVICE_PROGRAM_LICENSE = 'Apache';

// eBPF opcodes used here (linux/bpf.h, linux/bpf_common.h)
const LDXW = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const AND32_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const RSH32_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const MOV32_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const MOV32_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JEQ32_K = 0x16; // BPF_JMP32 | BPF_JEQ | BPF_K
const JNE32_K = 0x56; // BPF_JMP32 | BPF_JNE | BPF_K
const JNE32_X = 0x5e; // BPF_JMP32 | BPF_JNE | BPF_X
const EXIT = 0x95; // BPF_JMP | BPF_EXIT

const R0 = 0;
const R1 = 1;
const R2 = 2; // device type
const R3 = 3; // requested access
const R4 = 4; // major
const R5 = 5; // minor

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/** A rule with its fields made explicit: type 'a'|'b'|'c', -1 for a wildcard number, access bits. */
export interface NormalizedDeviceRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  access: number;
}

export function normalizeDeviceRule(rule: LinuxDeviceCgroup): NormalizedDeviceRule {
  const type = rule.type === undefined || rule.type === '' ? 'a' : rule.type;
  if (type !== 'a' && type !== 'b' && type !== 'c') throw invalidArgument(`cgroup devices: invalid type ${JSON.stringify(rule.type)}`);
  const num = (what: string, n: number | null | undefined): number => {
    if (n === undefined || n === null || n === -1) return -1;
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw invalidArgument(`cgroup devices: invalid ${what} ${JSON.stringify(n)}`);
    return n;
  };
  const text = rule.access === undefined || rule.access === '' ? 'rwm' : rule.access;
  let access = 0;
  for (const ch of text) {
    if (ch === 'r') access |= BPF_DEVCG_ACC_READ;
    else if (ch === 'w') access |= BPF_DEVCG_ACC_WRITE;
    else if (ch === 'm') access |= BPF_DEVCG_ACC_MKNOD;
    else throw invalidArgument(`cgroup devices: invalid access ${JSON.stringify(rule.access)}`);
  }
  return { allow: rule.allow, type, major: num('major', rule.major), minor: num('minor', rule.minor), access };
}

const ALL_ACCESS = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

function coversEverything(r: NormalizedDeviceRule): boolean {
  return r.type === 'a' && r.major === -1 && r.minor === -1 && r.access === ALL_ACCESS;
}

/** The instructions of one rule: compares that jump past the block on a mismatch, then the verdict. */
function ruleBlock(r: NormalizedDeviceRule): Insn[] {
  // each compare is emitted with off = its distance to the block's end, fixed up below
  const checks: Insn[][] = [];
  if (r.type !== 'a') checks.push([insn(JNE32_K, R2, 0, 0, r.type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR)]);
  if (r.access !== ALL_ACCESS) {
    // allow: every requested access must be allowed ((req & rule) == req);
    // deny: any requested access the rule names is denied ((req & rule) != 0)
    checks.push([
      insn(MOV32_X, R1, R3, 0, 0),
      insn(AND32_K, R1, 0, 0, r.access),
      r.allow ? insn(JNE32_X, R1, R3, 0, 0) : insn(JEQ32_K, R1, 0, 0, 0),
    ]);
  }
  if (r.major !== -1) checks.push([insn(JNE32_K, R4, 0, 0, r.major | 0)]);
  if (r.minor !== -1) checks.push([insn(JNE32_K, R5, 0, 0, r.minor | 0)]);
  const body = checks.flat();
  const verdict = [insn(MOV32_K, R0, 0, 0, r.allow ? 1 : 0), insn(EXIT, 0, 0, 0, 0)];
  const out = [...body, ...verdict];
  // a mismatch jumps to the first instruction after the block
  for (let i = 0; i < body.length; i++) {
    const ins = out[i]!;
    if (ins.code === JNE32_K || ins.code === JNE32_X || ins.code === JEQ32_K) ins.off = out.length - (i + 1);
  }
  return out;
}

/** The program's instructions for `rules` (OCI order). */
export function deviceFilterInstructions(rules: readonly LinuxDeviceCgroup[]): Insn[] {
  const normalized = rules.map(normalizeDeviceRule);
  const prog: Insn[] = [
    insn(LDXW, R2, R1, 0, 0),
    insn(AND32_K, R2, 0, 0, 0xffff),
    insn(LDXW, R3, R1, 0, 0),
    insn(RSH32_K, R3, 0, 0, 16),
    insn(LDXW, R4, R1, 4, 0),
    insn(LDXW, R5, R1, 8, 0),
  ];
  for (let i = normalized.length - 1; i >= 0; i--) {
    const r = normalized[i]!;
    if (coversEverything(r)) {
      // what comes before can never be reached (the verifier refuses dead code): stop here
      prog.push(insn(MOV32_K, R0, 0, 0, r.allow ? 1 : 0), insn(EXIT, 0, 0, 0, 0));
      return prog;
    }
    prog.push(...ruleBlock(r));
  }
  prog.push(insn(MOV32_K, R0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0));
  return prog;
}

/** Encodes instructions as struct bpf_insn[] (8 bytes each, little-endian, dst in the low nibble). */
export function encodeInstructions(insns: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((ins, i) => {
    buf.writeUInt8(ins.code, i * 8);
    buf.writeUInt8((ins.src << 4) | ins.dst, i * 8 + 1);
    buf.writeInt16LE(ins.off, i * 8 + 2);
    buf.writeInt32LE(ins.imm | 0, i * 8 + 4);
  });
  return buf;
}

/** The BPF_PROG_TYPE_CGROUP_DEVICE program for `rules`, ready for bpf(BPF_PROG_LOAD). */
export function compileDeviceFilter(rules: readonly LinuxDeviceCgroup[]): Buffer {
  return encodeInstructions(deviceFilterInstructions(rules));
}
