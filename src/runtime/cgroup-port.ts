/**
 * What the runtime needs from a cgroup manager (src/runtime/cgroups/ provides the full v1/v2
 * managers). Until those land, `openCgroup` falls back to the small v1 manager in
 * cgroup-v1-fallback.ts, which covers what the verbs use: placement, limits, freezer, pids.
 */
import type { LinuxResources } from './spec/index.ts';

export interface CgroupManager {
  apply(pid: number): void | Promise<void>;
  set(resources: LinuxResources): void | Promise<void>;
  remove(): void | Promise<void>;
  freeze(frozen: boolean): void | Promise<void>;
  pids(): number[] | Promise<number[]>;
  /** True when the freezer says FROZEN. */
  isFrozen(): boolean | Promise<boolean>;
  /** The memory controller counted at least one OOM kill. */
  oomKilled(): boolean | Promise<boolean>;
  /** Host directory per hierarchy (for "cgroup" mounts inside the container). */
  dirs(): Record<string, string>;
}
