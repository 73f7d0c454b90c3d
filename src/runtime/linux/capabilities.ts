import { readFileSync } from 'node:fs';
import { invalidArgument, wrap } from '../../lib/index.ts';

/** Linux capability names (with the CAP_ prefix), indexed by number, up to CAP_CHECKPOINT_RESTORE. */
export const capabilityNames: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const CAP_LAST_CAP = capabilityNames.length - 1;

const byName = new Map(capabilityNames.map((n, i) => [n, i]));

/**
 * The number of a capability. Accepts the spec's form ("CAP_CHOWN") and Docker's lenient forms
 * ("chown", "cap_chown"); throws invalid-argument for an unknown name.
 */
export function capabilityNumber(name: string): number {
  const upper = name.toUpperCase();
  const n = byName.get(upper.startsWith('CAP_') ? upper : `CAP_${upper}`);
  if (n === undefined) throw invalidArgument(`capability ${JSON.stringify(name)}: unknown capability`);
  return n;
}

/** The spec name of capability number `n` ("CAP_CHOWN"); throws for an unknown number. */
export function capabilityName(n: number): string {
  const name = capabilityNames[n];
  if (name === undefined) throw invalidArgument(`capability ${n}: unknown capability`);
  return name;
}

/** The normalised spec name ("chown" → "CAP_CHOWN"). */
export function normalizeCapability(name: string): string {
  return capabilityName(capabilityNumber(name));
}

/** A set of capability names as a 64-bit mask (bit n = capability n), what capset(2) takes. */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) mask |= 1n << BigInt(capabilityNumber(name));
  return mask;
}

/** The capability names whose bits are set in `mask`, in number order. */
export function capabilitiesFromMask(mask: bigint): string[] {
  return capabilityNames.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** Reads one capability set (CapBnd, CapEff, CapPrm, CapInh, CapAmb) from /proc/<pid>/status. */
export function readCapabilitySet(field: 'CapBnd' | 'CapEff' | 'CapPrm' | 'CapInh' | 'CapAmb', statusPath = '/proc/self/status'): bigint {
  let text: string;
  try {
    text = readFileSync(statusPath, 'utf8');
  } catch (err) {
    throw wrap(err, `read ${JSON.stringify(statusPath)}`);
  }
  const m = new RegExp(`^${field}:\\s*([0-9a-fA-F]+)$`, 'm').exec(text);
  if (!m?.[1]) throw invalidArgument(`read ${JSON.stringify(statusPath)}: no ${field} line`);
  return BigInt(`0x${m[1]}`);
}

export interface ClampedCapabilities {
  /** The requested capabilities the bounding set allows, normalised, in the order given. */
  kept: string[];
  /** The requested capabilities the bounding set lacks (warn about them). */
  dropped: string[];
}

/**
 * Keeps only the capabilities this process's bounding set allows (a process cannot grant what
 * it lacks; `--privileged` asks for all of them). `bounding` defaults to CapBnd of /proc/self.
 */
export function clampToBoundingSet(caps: readonly string[], options: { bounding?: bigint; statusPath?: string } = {}): ClampedCapabilities {
  const bounding = options.bounding ?? readCapabilitySet('CapBnd', options.statusPath);
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const cap of caps) {
    const n = capabilityNumber(cap);
    const name = capabilityName(n);
    if ((bounding >> BigInt(n)) & 1n) {
      if (!kept.includes(name)) kept.push(name);
    } else if (!dropped.includes(name)) dropped.push(name);
  }
  return { kept, dropped };
}
