import type { Stats } from 'node:fs';
import { nativeSys, errnoCode } from '../sys/index.ts';

/** OCI/Docker layer whiteout conventions. */
export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
/** The xattr overlayfs reads to make a directory opaque (lower layers' children hidden). */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** An overlayfs whiteout: a character device 0/0. */
export function isOverlayWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Makes an overlay whiteout at `path` (nothing may exist there). */
export function makeOverlayWhiteout(path: string): void {
  nativeSys().mknod(path, 'c', 0, 0, 0);
}

export function isOpaqueDir(path: string): boolean {
  try {
    return nativeSys().lgetxattr(path, OPAQUE_XATTR).toString() === 'y';
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENODATA' || code === 'ENOENT' || code === 'EOPNOTSUPP') return false;
    throw err;
  }
}

export function makeOpaque(path: string): void {
  nativeSys().lsetxattr(path, OPAQUE_XATTR, Buffer.from('y'), 0);
}
