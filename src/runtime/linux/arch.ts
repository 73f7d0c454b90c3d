import { invalidArgument } from '../../lib/index.ts';
import { aarch64Syscalls, i386Syscalls, x32Syscalls, x86_64Syscalls } from './syscall-tables.ts';
import type { SyscallTable } from './syscall-tables.ts';

/** AUDIT_ARCH_* values (linux/audit.h): the `arch` field of struct seccomp_data. */
export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
} as const;

/** x32 syscalls arrive with arch AUDIT_ARCH_X86_64 and this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

export interface SeccompArchInfo {
  /** The OCI name: "SCMP_ARCH_X86_64". */
  name: string;
  audit: number;
  table: SyscallTable;
  /** x32 shares x86_64's audit arch and is told apart by X32_SYSCALL_BIT. */
  x32: boolean;
}

const archs: Readonly<Record<string, SeccompArchInfo>> = {
  SCMP_ARCH_X86_64: { name: 'SCMP_ARCH_X86_64', audit: AUDIT_ARCH.X86_64, table: x86_64Syscalls, x32: false },
  SCMP_ARCH_X86: { name: 'SCMP_ARCH_X86', audit: AUDIT_ARCH.I386, table: i386Syscalls, x32: false },
  SCMP_ARCH_X32: { name: 'SCMP_ARCH_X32', audit: AUDIT_ARCH.X86_64, table: x32Syscalls, x32: true },
  SCMP_ARCH_AARCH64: { name: 'SCMP_ARCH_AARCH64', audit: AUDIT_ARCH.AARCH64, table: aarch64Syscalls, x32: false },
};

/** Architectures the spec allows but Berth has no syscall table for (skipped, like an absent arch). */
export const unsupportedSeccompArchs: ReadonlySet<string> = new Set([
  'SCMP_ARCH_ARM', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
]);

/** The table of an OCI arch name; undefined for a known arch without a table; throws for garbage. */
export function syscallTableFor(arch: string): SeccompArchInfo | undefined {
  const info = archs[arch];
  if (info) return info;
  if (unsupportedSeccompArchs.has(arch)) return undefined;
  throw invalidArgument(`seccomp: unknown architecture ${JSON.stringify(arch)}`);
}

/** The OCI arch name of the machine Node runs on. */
export function hostSeccompArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'SCMP_ARCH_X86_64';
    case 'arm64':
      return 'SCMP_ARCH_AARCH64';
    case 'ia32':
      return 'SCMP_ARCH_X86';
    default:
      throw invalidArgument(`seccomp: unsupported host architecture ${JSON.stringify(process.arch)}`);
  }
}
