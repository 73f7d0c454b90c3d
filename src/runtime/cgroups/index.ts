export type { CgroupManager, ContainerCgroupManager, CgroupStats, MemoryStats, CpuStats, PidsStats, BlkioStats, BlkioEntry } from './manager.ts';
export { CgroupV1Manager, deviceRuleLine } from './v1.ts';
export type { CgroupV1Options } from './v1.ts';
export { CgroupV2Manager, sharesToWeight, blkioWeightToIoWeight, swapToV2, defaultV2Root } from './v2.ts';
export type { CgroupV2Options } from './v2.ts';
export { createCgroupManager } from './create.ts';
export type { CreateCgroupManagerOptions } from './create.ts';
export { detectCgroupMode, isCgroup2Mount, resolveCgroupsPath, expandSlice, v1Hierarchies, ownCgroups } from './paths.ts';
export type { CgroupMode, ResolveCgroupsPathOptions } from './paths.ts';
