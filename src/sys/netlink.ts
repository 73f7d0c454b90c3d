import { berthError, failedPrecondition } from '../lib/index.ts';
import type { ErrorCode } from '../lib/index.ts';
import { errnoCode, nativeAddonPath, nativeSys, type NativeSys } from './native.ts';

/**
 * rtnetlink and namespace syscalls through the berth_sys addon: no process is spawned. Each
 * function is synchronous (a few hundred microseconds) except link deletion, which the kernel
 * takes ~20 ms to finish and so runs on a worker thread. Errors carry the failing step and the
 * kernel's answer — `create veth "vethabc": RTM_NEWLINK: File exists` — and a code: ENODEV and
 * ESRCH give not-found, EEXIST already-exists.
 */

export interface VethOptions {
  /** Name of the peer inside the namespace ("eth0"). */
  peerName: string;
  /** The namespace file the peer is created in (a bind mount of Berth's, /proc/<pid>/ns/net...). */
  netnsPath: string;
  /** Bridge the host end joins. */
  bridge?: string;
  /** The peer's MAC address ("02:42:0a:00:00:02"). */
  peerMac?: string;
  /** Both ends' MTU. */
  mtu?: number;
}

export interface InterfaceConfig {
  /** IPv4 address and prefix length of the interface. */
  address: string;
  prefixLength: number;
  /** The default route through this gateway. */
  gateway?: string;
}

function codeOf(err: unknown): ErrorCode {
  switch (errnoCode(err)) {
    case 'ENODEV':
    case 'ESRCH':
    case 'ENOENT':
      return 'not-found';
    case 'EEXIST':
      return 'already-exists';
    case 'EINVAL':
    case 'ERANGE':
      return 'invalid-argument';
    case 'EPERM':
    case 'EACCES':
      return 'permission-denied';
    case 'EBUSY':
      return 'conflict';
    default:
      return 'internal';
  }
}

function translate(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return berthError(codeOf(err), message, err);
}

/** The addon, checked to have the netlink functions (an older build lacks them). */
function sys(): NativeSys {
  const s = nativeSys();
  if (typeof s.bridgeEnsure !== 'function') {
    throw failedPrecondition(`native addon ${JSON.stringify(nativeAddonPath())} has no netlink functions: rebuild it (npm run build)`);
  }
  return s;
}

function call<T>(fn: (native: NativeSys) => T): T {
  const native = sys();
  try {
    return fn(native);
  } catch (err) {
    throw translate(err);
  }
}

/**
 * A new network namespace that stays alive, without any process in it, as a bind mount on `path`
 * (created when absent). Release it by unmounting the file; the kernel then destroys it and the
 * links inside once nothing else holds it.
 */
export function createNetworkNamespace(path: string): void {
  call((n) => n.netnsCreate(path));
}

/**
 * A veth pair: `name` in the host namespace, up (on `bridge` when given), and its peer created
 * directly inside `netnsPath` under its final name, down until configureInterface brings it up.
 */
export function createVeth(name: string, options: VethOptions): void {
  call((n) => n.vethCreate(name, options.peerName, options.netnsPath, options.bridge ?? null, options.peerMac ?? null, options.mtu ?? 0));
}

/** Inside `netnsPath`: the address on `ifName`, `lo` and `ifName` up, and the default route. */
export function configureInterface(netnsPath: string, ifName: string, cfg: InterfaceConfig): void {
  call((n) => n.netnsConfigure(netnsPath, ifName, cfg.address, cfg.prefixLength, cfg.gateway ?? null));
}

/** Deletes a link (the host namespace's, or `netns`'s), on a worker thread; a veth's peer goes too. */
export async function removeLink(name: string, options: { netns?: string } = {}): Promise<void> {
  const pending = call((n) => n.linkDelete(name, options.netns ?? null));
  try {
    await pending;
  } catch (err) {
    throw translate(err);
  }
}

/**
 * The bridge `name` in the host namespace: created when missing (with `mtu`), up, and holding
 * `address/prefixLength` (replaced if it is there already); idempotent.
 */
export function ensureBridgeLink(name: string, cfg: { address: string; prefixLength: number; mtu?: number }): void {
  call((n) => n.bridgeEnsure(name, cfg.address, cfg.prefixLength, cfg.mtu ?? 0));
}

/** removeLink on the calling thread (blocks ~20 ms: for error paths and tests). */
export function removeLinkSync(name: string, options: { netns?: string } = {}): void {
  call((n) => n.linkDeleteSync(name, options.netns ?? null));
}
