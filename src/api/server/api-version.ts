import { maxApiVersion, minApiVersion } from '../types/index.ts';
import { invalidArgument } from '../../lib/index.ts';

const versionPrefixRe = /^\/v(\d+\.\d+)(\/.*)$/;

/** Compares two `major.minor` API versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareApiVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

/**
 * Splits `/v1.45/containers/json` into the version and the path. Unversioned paths get the
 * daemon's maximum version, as dockerd does. A version outside [min, max] is invalid-argument
 * with docker's own wording (clients match on it).
 */
export function splitVersionedPath(path: string): { version: string; path: string } {
  const m = versionPrefixRe.exec(path);
  if (!m) return { version: maxApiVersion, path };
  const version = m[1]!;
  if (compareApiVersions(version, minApiVersion) < 0) {
    throw invalidArgument(
      `client version ${version} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version`,
    );
  }
  if (compareApiVersions(version, maxApiVersion) > 0) {
    throw invalidArgument(`client version ${version} is too new. Maximum supported API version is ${maxApiVersion}`);
  }
  return { version, path: m[2]! };
}
