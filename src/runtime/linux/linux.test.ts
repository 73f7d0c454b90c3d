import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidArgument } from '../../lib/index.ts';
import {
  capabilityNames, capabilityNumber, capabilityName, capabilityMask, capabilitiesFromMask, clampToBoundingSet,
  readCapabilitySet, parseSignal, signalName, rlimitResource, parseMountOptions, parsePropagation, MS, MOUNT_ATTR,
  x86_64Syscalls, aarch64Syscalls, i386Syscalls, x32Syscalls, syscallTableFor, AUDIT_ARCH,
} from './index.ts';

test('capabilityNumber maps names both ways up to CAP_CHECKPOINT_RESTORE', () => {
  assert.equal(capabilityNames.length, 41);
  assert.equal(capabilityNumber('CAP_CHOWN'), 0);
  assert.equal(capabilityNumber('sys_admin'), 21);
  assert.equal(capabilityNumber('cap_net_raw'), 13);
  assert.equal(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
  assert.equal(capabilityName(32), 'CAP_MAC_OVERRIDE');
  assert.throws(() => capabilityNumber('CAP_FLY'), isInvalidArgument);
  assert.equal(capabilityMask(['CAP_CHOWN', 'CAP_KILL']), 0b100001n);
  assert.deepEqual(capabilitiesFromMask(0b100001n), ['CAP_CHOWN', 'CAP_KILL']);
});

test('clampToBoundingSet keeps what the bounding set allows and reports the rest', () => {
  const all = [...capabilityNames];
  const bounding = readCapabilitySet('CapBnd');
  const { kept, dropped } = clampToBoundingSet(all);
  assert.equal(kept.length + dropped.length, all.length);
  assert.equal(capabilityMask(kept), bounding & ((1n << 41n) - 1n));
  for (const cap of dropped) assert.equal((bounding >> BigInt(capabilityNumber(cap))) & 1n, 0n, `${cap} dropped but in CapBnd`);
  // 0x1fffeffffff is this machine's CapBnd: every capability but bit 24, CAP_SYS_RESOURCE.
  const fixed = clampToBoundingSet(['chown', 'CAP_SYS_RESOURCE', 'CAP_CHOWN', 'CAP_MAC_OVERRIDE'], { bounding: 0x1fffeffffffn });
  assert.deepEqual(fixed, { kept: ['CAP_CHOWN', 'CAP_MAC_OVERRIDE'], dropped: ['CAP_SYS_RESOURCE'] });
});

test('parseSignal accepts names, SIG names, numbers and real-time offsets', () => {
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGKILL'), 9);
  assert.equal(parseSignal('sigterm'), 15);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal(15), 15);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.equal(parseSignal('RTMIN'), 34);
  assert.equal(parseSignal('SIGRTMAX-1'), 63);
  assert.equal(parseSignal('WINCH'), 28);
  for (const bad of ['0', '65', 'SIGFOO', 'RTMIN+31', '', '-9', 'RTMAX+1']) assert.throws(() => parseSignal(bad), isInvalidArgument, bad);
  assert.equal(signalName(9), 'SIGKILL');
  assert.equal(signalName(37), 'SIGRTMIN+3');
});

test('rlimitResource maps RLIMIT_ names and Docker short names', () => {
  assert.equal(rlimitResource('RLIMIT_NOFILE'), 7);
  assert.equal(rlimitResource('nproc'), 6);
  assert.equal(rlimitResource('RLIMIT_RTTIME'), 15);
  assert.throws(() => rlimitResource('RLIMIT_FOO'), /rlimit "RLIMIT_FOO": unknown resource/);
});

test('parseMountOptions splits flags, propagation, data and remounts', () => {
  const tmp = parseMountOptions(['nosuid', 'nodev', 'noexec', 'mode=755', 'size=65536k']);
  assert.equal(tmp.flags, MS.NOSUID | MS.NODEV | MS.NOEXEC);
  assert.equal(tmp.data, 'mode=755,size=65536k');
  assert.equal(tmp.bind, false);
  assert.equal(tmp.needsRemount, false);

  const bind = parseMountOptions(['rbind', 'ro', 'rprivate', 'nosuid'], 'none');
  assert.equal(bind.bind, true);
  assert.equal(bind.recursive, true);
  assert.equal(bind.flags, MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID);
  assert.deepEqual(bind.propagation, [MS.PRIVATE | MS.REC]);
  assert.equal(bind.needsRemount, true);
  assert.equal(bind.remountFlags, MS.RDONLY | MS.NOSUID);

  const plain = parseMountOptions(['rw'], 'bind');
  assert.equal(plain.bind, true);
  assert.equal(plain.recursive, false);
  assert.equal(plain.needsRemount, false);
  assert.equal(plain.clearFlags, MS.RDONLY);

  const last = parseMountOptions(['ro', 'rw', 'shared', 'slave']);
  assert.equal(last.flags & MS.RDONLY, 0);
  assert.deepEqual(last.propagation, [MS.SHARED, MS.SLAVE]);

  const rec = parseMountOptions(['rbind', 'rro', 'rnosuid', 'rnoatime', 'tmpcopyup', 'newinstance']);
  assert.equal(rec.recAttrSet, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NOATIME);
  assert.equal(rec.recAttrClear, MOUNT_ATTR._ATIME);
  assert.deepEqual(rec.extensions, ['tmpcopyup']);
  assert.equal(rec.data, 'newinstance');
  assert.equal(parseMountOptions(['strictatime', 'relatime']).flags, MS.STRICTATIME | MS.RELATIME);
  assert.equal(parsePropagation('rslave'), MS.SLAVE | MS.REC);
  assert.throws(() => parsePropagation('sideways'), isInvalidArgument);
});

test('syscall tables hold the known numbers of each architecture', () => {
  assert.equal(x86_64Syscalls['read'], 0);
  assert.equal(x86_64Syscalls['mount'], 165);
  assert.equal(x86_64Syscalls['clone3'], 435);
  assert.equal(x86_64Syscalls['mseal'], 462);
  assert.equal(aarch64Syscalls['read'], 63);
  assert.equal(aarch64Syscalls['openat'], 56);
  assert.equal(aarch64Syscalls['fcntl'], 25);
  assert.equal(aarch64Syscalls['open'], undefined);
  assert.equal(i386Syscalls['socketcall'], 102);
  assert.equal(x32Syscalls['read'], 0x40000000);
  assert.equal(syscallTableFor('SCMP_ARCH_X86_64')?.audit, AUDIT_ARCH.X86_64);
  assert.equal(syscallTableFor('SCMP_ARCH_ARM'), undefined);
  assert.throws(() => syscallTableFor('SCMP_ARCH_VAX'), isInvalidArgument);
});
