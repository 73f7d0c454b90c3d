export { nativeSys, nativeAddonPath, errnoCode } from './native.ts';
export type { NativeSys } from './native.ts';
export { mountAll, mountOne, unmount, unmountAll, parseMountOptions, compactOverlayData, MOUNT_DATA_MAX } from './mount.ts';
export type { Mount } from './mount.ts';
export { ShimChannel, spawnShim, controlRequest, connectAttach } from './shim.ts';
export type { ShimStdio } from './shim.ts';
export { processStartTime, processState, isProcessAlive, processPss, processChildren } from './proc.ts';
