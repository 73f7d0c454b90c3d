import { isNotFound, wrap, randomHex } from '../lib/index.ts';
import { configureInterface, createVeth, removeLink, removeLinkSync } from '../sys/index.ts';
import { macForIp } from './cidr.ts';

export interface AttachOptions {
  /** The container's network namespace file (/proc/<pid>/ns/net or a bind mount of it). */
  netnsPath: string;
  bridge: string;
  /** The container's address and the subnet's prefix length. */
  address: string;
  prefixLength: number;
  /** Default route through this gateway (absent for internal networks without one). */
  gateway?: string;
  /** Interface name inside the container (default "eth0"). */
  ifName?: string;
  mtu?: number;
  /** Default: docker's 02:42:<address bytes>. */
  mac?: string;
  /** Host-side veth name (default "veth" + 7 random hex digits). */
  hostVeth?: string;
}

export interface Endpoint {
  hostVeth: string;
  ifName: string;
  mac: string;
  address: string;
}

/**
 * Connects a network namespace to a bridge: a veth pair whose host end joins the bridge and whose
 * peer is born inside the namespace as `ifName` with its MAC and MTU, then gets the address,
 * `lo` and itself up, and the default route. All through rtnetlink in this thread (no process,
 * about a millisecond). On failure nothing is left behind (deleting the host end removes the pair).
 */
export async function attachEndpoint(options: AttachOptions): Promise<Endpoint> {
  const hostVeth = options.hostVeth ?? `veth${randomHex(4).slice(0, 7)}`;
  const ifName = options.ifName ?? 'eth0';
  const mac = options.mac ?? macForIp(options.address);
  const action = `attach ${JSON.stringify(options.netnsPath)} to bridge ${JSON.stringify(options.bridge)}`;
  try {
    createVeth(hostVeth, {
      peerName: ifName,
      netnsPath: options.netnsPath,
      bridge: options.bridge,
      peerMac: mac,
      ...(options.mtu ? { mtu: options.mtu } : {}),
    });
  } catch (err) {
    throw wrap(err, action);
  }
  try {
    configureInterface(options.netnsPath, ifName, {
      address: options.address,
      prefixLength: options.prefixLength,
      ...(options.gateway ? { gateway: options.gateway } : {}),
    });
  } catch (err) {
    try {
      removeLinkSync(hostVeth);
    } catch {
      // gone with its namespace
    }
    throw wrap(err, action);
  }
  return { hostVeth, ifName, mac, address: options.address };
}

/**
 * Removes an endpoint's veth pair (on a worker thread: the kernel takes ~20 ms); no error when it
 * is gone (as when its namespace died).
 */
export async function detachEndpoint(hostVeth: string): Promise<void> {
  try {
    await removeLink(hostVeth);
  } catch (err) {
    if (!isNotFound(err)) throw wrap(err, `detach veth ${JSON.stringify(hostVeth)}`);
  }
}
