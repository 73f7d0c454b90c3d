import * as images from '../../images/index.ts';

/** An OCI platform (os/architecture[/variant]); parsing and matching are src/images'. */
export type Platform = images.PlatformSpec;

export const hostPlatform = (): Platform => images.hostPlatform();
export const parsePlatform = (s: string): Platform => images.parsePlatform(s);
export const formatPlatform = (p: Platform): string => images.formatPlatform(p);

/** The index entry to pull for `want` (best match, attestations skipped), or undefined. */
export function selectPlatformManifest<T extends { digest: string; mediaType: string; platform?: Partial<Platform> }>(manifests: readonly T[], want: Platform): T | undefined {
  return images.selectManifest(manifests as unknown as images.Descriptor[], want) as T | undefined;
}
