export {
  capabilityNames,
  CAP_LAST_CAP,
  capabilityNumber,
  capabilityName,
  normalizeCapability,
  capabilityMask,
  capabilitiesFromMask,
  readCapabilitySet,
  clampToBoundingSet,
} from './capabilities.ts';
export type { ClampedCapabilities } from './capabilities.ts';
export { signalNumbers, SIGRTMIN, SIGRTMAX, parseSignal, signalName } from './signals.ts';
export { rlimitResources, RLIM_INFINITY, rlimitResource } from './rlimits.ts';
export { MS, MOUNT_ATTR, parseMountOptions, parsePropagation } from './mount-options.ts';
export type { ParsedMountOptions } from './mount-options.ts';
export { x86_64Syscalls, i386Syscalls, x32Syscalls, aarch64Syscalls } from './syscall-tables.ts';
export type { SyscallTable } from './syscall-tables.ts';
export { syscallTableFor, AUDIT_ARCH, X32_SYSCALL_BIT, hostSeccompArch, unsupportedSeccompArchs } from './arch.ts';
export type { SeccompArchInfo } from './arch.ts';
