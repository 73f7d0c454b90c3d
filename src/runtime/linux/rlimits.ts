import { invalidArgument } from '../../lib/index.ts';

/** setrlimit(2) resource numbers of x86_64 and arm64 Linux. */
export const rlimitResources: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** RLIM_INFINITY as an unsigned 64-bit value. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** The resource number of "RLIMIT_NOFILE" (or Docker's "nofile"); throws for an unknown name. */
export function rlimitResource(type: string): number {
  const upper = type.toUpperCase();
  const n = rlimitResources[upper.startsWith('RLIMIT_') ? upper : `RLIMIT_${upper}`];
  if (n === undefined) throw invalidArgument(`rlimit ${JSON.stringify(type)}: unknown resource`);
  return n;
}
