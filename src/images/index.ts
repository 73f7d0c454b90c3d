export {
  defaultDomain,
  defaultTag,
  familiarName,
  familiarString,
  formatReference,
  isFullImageId,
  isValidTag,
  nameTotalLengthMax,
  normalizeReference,
  parseDockerRef,
  parseNormalizedNamed,
  parseReference,
  referenceName,
  splitDockerDomain,
} from './reference.ts';
export type { Reference } from './reference.ts';
export {
  MediaTypes,
  isConfigType,
  isIndexType,
  isLayerType,
  isManifestType,
  isNonDistributable,
  isSchema1Type,
  layerCompression,
  schema1Error,
} from './media-types.ts';
export type { LayerCompression, MediaType } from './media-types.ts';
export { Annotations } from './types.ts';
export type { Descriptor, History, ImageConfig, ImageConfigConfig, Index, Manifest, Platform, RootFS } from './types.ts';
export { parseDescriptor, parseImageConfig, parseIndex, parseManifest, parseManifestOrIndex, parsePlatformObject } from './validate.ts';
export type { ManifestOrIndex, ParseOptions } from './validate.ts';
export {
  formatPlatform,
  hostPlatform,
  isAttestation,
  matchPlatform,
  normalizePlatform,
  parsePlatform,
  platformRank,
  selectManifest,
} from './platforms.ts';
export type { PlatformSpec } from './platforms.ts';
export { chainId, chainIds, checkDiffIds, diffIds } from './rootfs.ts';
export type { ImageDiskUsage } from './docker-types.ts';
export { ImageStore, danglingName, danglingPrefix, isDanglingName } from './image-store.ts';
export type { ImageRecord, NewImageRecord } from './image-store.ts';
export { LeaseManager } from './leases.ts';
export type { CreateLeaseOptions, Lease, LeaseResource, LeaseResourceType, LeasedResources } from './leases.ts';
export { ImageService } from './image-service.ts';
export type {
  ImageServiceOptions,
  ImageUse,
  ListImagesOptions,
  PruneImagesOptions,
  RemoveImageOptions,
  ResolvedImage,
} from './image-service.ts';
export { GarbageCollector } from './gc.ts';
export type { GarbageCollectorOptions, GcResult, GcRoots, GcSnapshotter } from './gc.ts';
export { saveArchive, saveArchiveToFile, saveOciLayoutDir, containerdImageNameAnnotation } from './archive-save.ts';
export type { SaveImage, SaveOptions } from './archive-save.ts';
export { loadArchive, loadArchiveFile, loadOciLayoutDir } from './archive-load.ts';
export type { LoadedImage, LoadOptions } from './archive-load.ts';
export { importRootfs, layerDiffID, writeImage } from './import-rootfs.ts';
export type { ImportRootfsOptions, ImportResult, ImportStore } from './import-rootfs.ts';
export { exportFilesystem, exportTree } from './export-filesystem.ts';
export { commitContainer, writeDiffLayer } from './commit-container.ts';
export type { CommitContainerOptions, CommitResult } from './commit-container.ts';
export { childDescriptors, gcRefLabels, resolveImageTarget, walkImage } from './image-target.ts';
export type { ImageBlobReader, ImageTarget } from './image-target.ts';
export { leasedContent } from './leased-content.ts';
