import type { Logger } from '../../lib/index.ts';
import type { ContainerCgroupManager } from './manager.ts';
import { detectCgroupMode } from './paths.ts';
import type { CgroupMode } from './paths.ts';
import { CgroupV1Manager } from './v1.ts';
import { CgroupV2Manager } from './v2.ts';

export interface CreateCgroupManagerOptions {
  /** Container id, used when cgroupsPath is empty ("/berth/<id>"). */
  id?: string;
  /** Force a mode instead of detecting it from /sys/fs/cgroup. */
  mode?: CgroupMode;
  /** The cgroup filesystem root (default /sys/fs/cgroup). */
  root?: string;
  /** v1: controller → hierarchy mount point, when the caller has read them already. */
  hierarchies?: Record<string, string>;
  logger?: Logger;
  timeoutMs?: number;
}

/**
 * The manager for this host: v1 when /sys/fs/cgroup is a tmpfs of v1 hierarchies (legacy or
 * hybrid), v2 when it is the unified cgroup2 mount.
 */
export function createCgroupManager(cgroupsPath: string | undefined, options: CreateCgroupManagerOptions = {}): ContainerCgroupManager {
  const mode = options.mode ?? detectCgroupMode(options.root ?? '/sys/fs/cgroup');
  const common = {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  if (mode === 'v2') return new CgroupV2Manager(cgroupsPath, { ...common, ...(options.root ? { root: options.root } : {}) });
  return new CgroupV1Manager(cgroupsPath, { ...common, ...(options.hierarchies ? { hierarchies: options.hierarchies } : {}) });
}
