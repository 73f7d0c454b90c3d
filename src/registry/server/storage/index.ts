export type { StorageDriver, FileInfo, FileWriter } from './driver.ts';
export { FilesystemDriver } from './filesystem-driver.ts';
export { RegistryStorage } from './registry-storage.ts';
export { garbageCollect, type GarbageCollectOptions, type GarbageCollectResult } from './gc.ts';
export { maxManifestSize, type ReferrerDescriptor } from './manifest-store.ts';
