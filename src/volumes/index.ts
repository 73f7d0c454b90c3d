export { VolumeService, diskUsage } from './volume-service.ts';
export type { VolumeServiceOptions, VolumeEvent } from './volume-service.ts';
export { VolumeStore } from './volume-store.ts';
export { anonymousLabel, localDriver } from './types.ts';
export type { Volume, CreateVolumeOptions, VolumeListFilters, VolumePruneOptions, VolumeUsage, VolumeUsers } from './types.ts';
export { parseTmpfsOptions, parseByteSize, validateMount } from './mount-spec.ts';
export type { ParsedMount, MountWire } from './mount-spec.ts';
