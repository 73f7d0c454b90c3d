import type { LinuxResources } from '../spec/index.ts';

/**
 * A container's cgroup, whatever the host's cgroup version. The lifecycle: `apply(pid)` creates
 * the cgroup (every hierarchy on v1) and moves the container's first process in (or `create`,
 * `set`, and the process is written to `procsFiles()` by whoever starts it); `set` writes limits
 * (again on update); `freeze` pauses and resumes; `stats` and `pids` read; `remove` kills what is
 * left and removes the cgroup. `remove` and `freeze` wait for the kernel without blocking the
 * event loop; the other calls are synchronous file operations.
 */
export interface CgroupManager {
  /** Creates the cgroup if needed, with no process in it (limits can be set before one joins). */
  create(): void;
  /** The `cgroup.procs` files a process is written to in order to join (one per v1 hierarchy). */
  procsFiles(): string[];
  /** Creates the cgroup if needed and moves `pid` into it. */
  apply(pid: number): void;
  /** Writes the OCI resources; fields left out keep their current value. */
  set(resources: LinuxResources): void;
  /** Kills any process left in the cgroup, waits for them, and removes the cgroup's directories. */
  remove(): Promise<void>;
  /** Freezes (true) or thaws (false) every process of the cgroup and waits until it is done. */
  freeze(frozen: boolean): Promise<void>;
  stats(): CgroupStats;
  /** The pids in the cgroup and its descendants. */
  pids(): number[];
}

/**
 * What the runtime verbs read besides the six methods: pause state for `state`, the OOM flag for
 * the exit status, and the host directories to show at a "cgroup" mount in the container.
 */
export interface ContainerCgroupManager extends CgroupManager {
  /** True when the freezer (v1 freezer.state, v2 cgroup.events) says frozen. */
  isFrozen(): boolean;
  /** True when the memory controller counted at least one OOM kill in this cgroup. */
  oomKilled(): boolean;
  /** Host directory per hierarchy: v1 controller name ("memory", "systemd"...) → dir; v2 { unified: dir }. */
  dirs(): Record<string, string>;
}

export interface MemoryStats {
  /** Bytes in use (v1 memory.usage_in_bytes, v2 memory.current). */
  usage: number;
  /** Peak usage where the kernel reports it. */
  maxUsage?: number;
  /** The limit in bytes; undefined when unlimited. */
  limit?: number;
  /** Page cache bytes (v1 "cache", v2 "file"). */
  cache?: number;
  swapUsage?: number;
  /** Times the limit was hit (v1 failcnt, v2 events "max"). */
  failcnt?: number;
  /** OOM kills (v1 oom_control oom_kill, v2 events oom_kill). */
  oomKills?: number;
  /** The raw memory.stat counters. */
  stat: Record<string, number>;
}

export interface CpuStats {
  /** Total CPU time in nanoseconds. */
  usageTotal: number;
  usageUser?: number;
  usageSystem?: number;
  perCpu?: number[];
  throttling?: { periods: number; throttledPeriods: number; throttledTime: number };
}

export interface PidsStats {
  current: number;
  /** undefined when unlimited. */
  limit?: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface BlkioStats {
  ioServiceBytes: BlkioEntry[];
  ioServiced: BlkioEntry[];
}

export interface CgroupStats {
  memory?: MemoryStats;
  cpu?: CpuStats;
  pids?: PidsStats;
  blkio?: BlkioStats;
}
