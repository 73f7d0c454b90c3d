import { invalidArgument } from '../../lib/index.ts';

/** Classic BPF opcodes used by seccomp filters (linux/filter.h, linux/bpf_common.h). */
export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JMP_JA: 0x05,
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  JMP_JSET_K: 0x45,
  RET_K: 0x06,
} as const;

/** Kernel limit on a filter's length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** Size of one struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
export const SOCK_FILTER_SIZE = 8;

/** A jump target; placed once with `BpfAssembler.place`. */
export interface Label {
  readonly id: number;
}

interface Insn {
  kind: 'insn';
  code: number;
  k: number;
  jt?: Label;
  jf?: Label;
  /** Target of an unconditional BPF_JA. */
  ja?: Label;
  index?: number;
}

interface LabelNode {
  kind: 'label';
  label: Label;
}

type Node = Insn | LabelNode;

/**
 * A classic-BPF assembler with symbolic labels. Conditional jumps only reach 255 instructions
 * forward (jt/jf are 8 bits); `assemble` rewrites any longer conditional jump into a jump to a
 * nearby BPF_JA trampoline (32-bit offset), repeating until every jump fits.
 */
export class BpfAssembler {
  private readonly nodes: Node[] = [];
  private nextId = 0;

  label(): Label {
    return { id: this.nextId++ };
  }

  place(label: Label): void {
    this.nodes.push({ kind: 'label', label });
  }

  /** A non-jump instruction (load, ALU, return). */
  stmt(code: number, k: number): void {
    this.nodes.push({ kind: 'insn', code, k: k >>> 0 });
  }

  /** A conditional jump; `null` means the next instruction. */
  jump(code: number, k: number, jt: Label | null, jf: Label | null): void {
    const next = jt === null || jf === null ? this.label() : undefined;
    const insn: Insn = { kind: 'insn', code, k: k >>> 0, jt: (jt ?? next)!, jf: (jf ?? next)! };
    this.nodes.push(insn);
    if (next) this.place(next);
  }

  ja(target: Label): void {
    this.nodes.push({ kind: 'insn', code: BPF.JMP_JA, k: 0, ja: target });
  }

  /** Resolves labels (adding trampolines for long jumps) and encodes little-endian sock_filters. */
  assemble(): Buffer {
    const positions = new Map<number, number>();
    const layout = (): number => {
      let pos = 0;
      positions.clear();
      for (const n of this.nodes) {
        if (n.kind === 'label') positions.set(n.label.id, pos);
        else n.index = pos++;
      }
      return pos;
    };
    const target = (l: Label): number => {
      const p = positions.get(l.id);
      if (p === undefined) throw invalidArgument(`seccomp: bpf label ${l.id} never placed`);
      return p;
    };
    for (;;) {
      layout();
      const far: { at: number; jt: boolean; jf: boolean }[] = [];
      this.nodes.forEach((n, at) => {
        if (n.kind !== 'insn' || n.jt === undefined || n.jf === undefined) return;
        const base = (n.index ?? 0) + 1;
        const jt = target(n.jt) - base > 255;
        const jf = target(n.jf) - base > 255;
        if (jt || jf) far.push({ at, jt, jf });
      });
      if (far.length === 0) break;
      for (let i = far.length - 1; i >= 0; i--) {
        const f = far[i]!;
        const insn = this.nodes[f.at] as Insn;
        const inserted: Node[] = [];
        for (const branch of ['jt', 'jf'] as const) {
          if (!f[branch]) continue;
          const t = this.label();
          inserted.push({ kind: 'label', label: t }, { kind: 'insn', code: BPF.JMP_JA, k: 0, ja: insn[branch]! });
          insn[branch] = t;
        }
        this.nodes.splice(f.at + 1, 0, ...inserted);
      }
    }
    const count = layout();
    if (count > BPF_MAXINSNS) throw invalidArgument(`seccomp: filter too long: ${count} instructions (the kernel allows ${BPF_MAXINSNS})`);
    const buf = Buffer.alloc(count * SOCK_FILTER_SIZE);
    for (const n of this.nodes) {
      if (n.kind !== 'insn') continue;
      const at = (n.index ?? 0) * SOCK_FILTER_SIZE;
      const base = (n.index ?? 0) + 1;
      let jt = 0;
      let jf = 0;
      let k = n.k;
      if (n.ja) k = target(n.ja) - base;
      if (n.jt && n.jf) {
        jt = target(n.jt) - base;
        jf = target(n.jf) - base;
      }
      if (jt < 0 || jf < 0 || k < 0) throw invalidArgument('seccomp: bpf backward jump');
      buf.writeUInt16LE(n.code, at);
      buf.writeUInt8(jt, at + 2);
      buf.writeUInt8(jf, at + 3);
      buf.writeUInt32LE(k >>> 0, at + 4);
    }
    return buf;
  }
}
