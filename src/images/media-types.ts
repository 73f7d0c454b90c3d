import { invalidArgument } from '../lib/index.ts';

/** OCI image spec media types. */
export const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayout: 'application/vnd.oci.layout.header.v1+json',
  /** Docker image manifest v2 schema 2 and its manifest list. */
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  dockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** Docker schema 1: refused. */
  dockerSchema1Manifest: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1SignedManifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type MediaType = (typeof MediaTypes)[keyof typeof MediaTypes];

export function isIndexType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociIndex || mt === MediaTypes.dockerManifestList;
}

export function isManifestType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociManifest || mt === MediaTypes.dockerManifest;
}

export function isConfigType(mt: string | undefined): boolean {
  return mt === MediaTypes.ociConfig || mt === MediaTypes.dockerConfig;
}

export function isSchema1Type(mt: string | undefined): boolean {
  return mt === MediaTypes.dockerSchema1Manifest || mt === MediaTypes.dockerSchema1SignedManifest;
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

const layerTypes: Record<string, LayerCompression> = {
  [MediaTypes.ociLayer]: 'none',
  [MediaTypes.ociLayerGzip]: 'gzip',
  [MediaTypes.ociLayerZstd]: 'zstd',
  [MediaTypes.ociLayerNondistributable]: 'none',
  [MediaTypes.ociLayerNondistributableGzip]: 'gzip',
  [MediaTypes.ociLayerNondistributableZstd]: 'zstd',
  [MediaTypes.dockerLayer]: 'none',
  [MediaTypes.dockerLayerGzip]: 'gzip',
  [MediaTypes.dockerLayerZstd]: 'zstd',
  [MediaTypes.dockerLayerForeignGzip]: 'gzip',
};

export function isLayerType(mt: string | undefined): boolean {
  return mt !== undefined && mt in layerTypes;
}

/** The compression a layer media type declares; undefined for a type that is not a layer. */
export function layerCompression(mt: string): LayerCompression | undefined {
  return layerTypes[mt];
}

/** Layers that must not be pushed to other registries (foreign / nondistributable). */
export function isNonDistributable(mt: string): boolean {
  return mt.includes('.foreign.') || mt.includes('.nondistributable.');
}

/** The message used wherever a schema 1 manifest shows up. */
export function schema1Error(what = 'manifest'): Error {
  return invalidArgument(
    `unsupported ${what} media type: docker image manifest schema 1 (${MediaTypes.dockerSchema1SignedManifest}) is no longer supported; push the image again with schema 2 or OCI`,
  );
}
