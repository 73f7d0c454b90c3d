import { randomBytes } from 'node:crypto';
import { isNotFound, wrap } from '../lib/index.ts';
import {
  addAddress, addDefaultRoute, createVethPair, deleteLink, moveLinkToNetns, renameLink, setLinkAddress, setLinkMaster,
  setLinkUp,
} from '../sys/index.ts';
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
 * other end becomes `ifName` in the namespace with the address, `lo` up, and the default route.
 * On failure nothing is left behind (deleting the host end removes the pair).
 */
export async function attachEndpoint(options: AttachOptions): Promise<Endpoint> {
  const hostVeth = options.hostVeth ?? `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
  const peer = `tmp${randomBytes(5).toString('hex')}`.slice(0, 15);
  const ifName = options.ifName ?? 'eth0';
  const mac = options.mac ?? macForIp(options.address);
  const ns = { netns: options.netnsPath };
  const mtu = options.mtu ? { mtu: options.mtu } : {};
  try {
    await createVethPair(hostVeth, peer, mtu);
    await setLinkMaster(hostVeth, options.bridge);
    await setLinkUp(hostVeth);
    await moveLinkToNetns(peer, options.netnsPath);
    await renameLink(peer, ifName, ns);
    await setLinkAddress(ifName, mac, ns);
    await addAddress(ifName, `${options.address}/${options.prefixLength}`, ns);
    await setLinkUp(ifName, ns);
    await setLinkUp('lo', ns);
    if (options.gateway) await addDefaultRoute(options.gateway, { ...ns, dev: ifName });
  } catch (err) {
    await detachEndpoint(hostVeth).catch(() => undefined);
    throw wrap(err, `attach ${JSON.stringify(options.netnsPath)} to bridge ${JSON.stringify(options.bridge)}`);
  }
  return { hostVeth, ifName, mac, address: options.address };
}

/** Removes an endpoint's veth pair; no error when it is gone (as when its namespace died). */
export async function detachEndpoint(hostVeth: string): Promise<void> {
  try {
    await deleteLink(hostVeth);
  } catch (err) {
    if (!isNotFound(err)) throw wrap(err, `detach veth ${JSON.stringify(hostVeth)}`);
  }
}
