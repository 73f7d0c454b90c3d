import { randomBytes } from 'node:crypto';
import { isNotFound, wrap } from '../lib/index.ts';
import { deleteLink, runCommand } from '../sys/index.ts';
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
  const mtu = options.mtu ? ` mtu ${options.mtu}` : '';
  for (const word of [options.netnsPath, options.bridge, ifName, mac, options.address]) {
    if (/\s/.test(word)) throw wrap(new Error('names and paths must not contain white space'), `attach ${JSON.stringify(word)}`);
  }
  try {
    // two `ip -batch` runs (host side, then inside the namespace) instead of one process per step
    const host = [
      `link add name ${hostVeth}${mtu} type veth peer name ${peer}${mtu}`,
      `link set dev ${hostVeth} master ${options.bridge}`,
      `link set dev ${hostVeth} up`,
      `link set dev ${peer} netns ${options.netnsPath}`,
    ];
    await runCommand('ip', ['-batch', '-'], { action: `create veth ${JSON.stringify(hostVeth)}`, input: `${host.join('\n')}\n` });
    const inside = [
      `link set dev ${peer} name ${ifName}`,
      `link set dev ${ifName} address ${mac}`,
      `addr add ${options.address}/${options.prefixLength} dev ${ifName}`,
      `link set dev ${ifName} up`,
      'link set dev lo up',
      ...(options.gateway ? [`route add default via ${options.gateway} dev ${ifName}`] : []),
    ];
    await runCommand('nsenter', [`--net=${options.netnsPath}`, '--', 'ip', '-batch', '-'], {
      action: `configure ${JSON.stringify(ifName)} in ${JSON.stringify(options.netnsPath)}`,
      input: `${inside.join('\n')}\n`,
    });
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
