import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x86_64Syscalls } from '../linux/index.ts';
import type { LinuxSeccomp } from '../spec/index.ts';
import { compileSeccomp, dockerDefaultSeccomp } from './index.ts';

/*
 * Loads compiled filters into the real kernel: a tiny C probe installs the program with
 * seccomp(SECCOMP_SET_MODE_FILTER) and makes one raw syscall, printing its result and errno.
 * The kernel's own checker accepts or refuses the program, and the kernel decides the syscall.
 */
const probeSource = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror("open filter"); return 2; }
  static struct sock_filter insns[4096];
  size_t n = fread(insns, sizeof(insns[0]), 4096, f);
  fclose(f);
  struct sock_fprog prog = { .len = (unsigned short)n, .filter = insns };
  unsigned long flags = strtoul(argv[2], NULL, 0);
  long nr = strtol(argv[3], NULL, 0);
  unsigned long a[6] = {0};
  for (int i = 0; i < 6 && 4 + i < argc; i++) a[i] = strtoul(argv[4 + i], NULL, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("no_new_privs"); return 2; }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog)) { printf("load-failed %d\n", errno); return 3; }
  errno = 0;
  long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  printf("%ld %d\n", r, r < 0 ? errno : 0);
  return 0;
}
`;

let dir = '';
let probe = '';

before(() => {
  assert.equal(process.arch, 'x64', 'the kernel seccomp tests use x86_64 syscall numbers');
  dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
  writeFileSync(join(dir, 'probe.c'), probeSource);
  probe = join(dir, 'probe');
  try {
    execFileSync('gcc', ['-O0', '-o', probe, join(dir, 'probe.c')], { stdio: 'pipe' });
  } catch (err) {
    assert.fail(`gcc must be installed to build the seccomp probe (scripts/setup.sh installs it): ${(err as Error).message}`);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

function probeSyscall(seccomp: LinuxSeccomp, name: string, ...args: number[]): { ret: number; errno: number } {
  const compiled = compileSeccomp(seccomp);
  const file = join(dir, `filter-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, compiled.program);
  const r = spawnSync(probe, [file, String(compiled.flags), String(x86_64Syscalls[name]), ...args.map((a) => `0x${a.toString(16)}`)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `probe ${name}: ${r.stdout}${r.stderr}`);
  const [ret = '', errno = ''] = r.stdout.trim().split(' ');
  return { ret: Number(ret), errno: Number(errno) };
}

test('compiled filters load into the kernel and return their errno', () => {
  const s: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 42, args: [{ index: 0, value: 0x100000007, op: 'SCMP_CMP_EQ' }] },
      { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 43, args: [{ index: 1, value: 0xff, valueTwo: 0x12, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  };
  assert.deepEqual(probeSyscall(s, 'getpid', 0x100000007), { ret: -1, errno: 42 });
  assert.equal(probeSyscall(s, 'getpid', 0x7).ret > 0, true, 'only the high half differs: allowed');
  assert.deepEqual(probeSyscall(s, 'getppid', 0, 0x3412), { ret: -1, errno: 43 });
  assert.equal(probeSyscall(s, 'getppid', 0, 0x3413).ret > 0, true);
});

test('Docker\'s default profile loads into the kernel and decides as documented', () => {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
    'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
  const profile = dockerDefaultSeccomp(caps);
  assert.ok(probeSyscall(profile, 'getpid').ret > 0, 'getpid allowed');
  assert.deepEqual(probeSyscall(profile, 'umount2', 0, 0), { ret: -1, errno: 1 }, 'umount2 → EPERM');
  assert.deepEqual(probeSyscall(profile, 'unshare', 0x10000000), { ret: -1, errno: 1 }, 'unshare → EPERM');
  assert.deepEqual(probeSyscall(profile, 'clone3', 0, 0), { ret: -1, errno: 38 }, 'clone3 → ENOSYS');
  assert.deepEqual(probeSyscall(profile, 'personality', 0x400000), { ret: -1, errno: 1 }, 'personality(READ_IMPLIES_EXEC) → EPERM');
  assert.equal(probeSyscall(profile, 'personality', 0xffffffff).ret >= 0, true, 'personality query allowed');
  const withAdmin = dockerDefaultSeccomp([...caps, 'CAP_SYS_ADMIN']);
  // with CAP_SYS_ADMIN umount2 reaches the kernel, which faults on the NULL path instead of the filter refusing
  assert.deepEqual(probeSyscall(withAdmin, 'umount2', 0, 0), { ret: -1, errno: 14 }, 'umount2(NULL) → EFAULT from the kernel');
});
