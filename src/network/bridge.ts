import { invalidArgument, isNotFound, wrap } from '../lib/index.ts';
import { ensureBridgeLink, removeLink, writeSysctl } from '../sys/index.ts';
import { parseSubnet } from './cidr.ts';

export interface BridgeConfig {
  /** Interface name (at most 15 characters): "berth0", "br-<id>". */
  name: string;
  /** The network's subnet, "172.18.0.0/16". */
  subnet: string;
  /** The bridge's own address, the containers' gateway. */
  gateway: string;
  mtu?: number;
}

/**
 * Makes sure the bridge exists, holds the gateway address and is up; idempotent, so the daemon
 * calls it again at start. Also lets the host route 127.0.0.0/8 to it, so ports published on
 * 127.0.0.1 reach containers through DNAT.
 */
export async function ensureBridge(cfg: BridgeConfig): Promise<void> {
  const action = `set up bridge ${JSON.stringify(cfg.name)}`;
  if (cfg.name.length > 15) throw invalidArgument(`${action}: interface names have at most 15 characters`);
  const { prefix } = parseSubnet(cfg.subnet);
  // rtnetlink in this thread: "set up bridge "x": RTM_NEWLINK: ..." on failure
  ensureBridgeLink(cfg.name, { address: cfg.gateway, prefixLength: prefix, ...(cfg.mtu ? { mtu: cfg.mtu } : {}) });
  try {
    writeSysctl(`net.ipv4.conf.${cfg.name}.route_localnet`, '1');
  } catch (err) {
    throw wrap(err, action);
  }
}

/** Deletes the bridge; no error when it is already gone. */
export async function removeBridge(name: string): Promise<void> {
  try {
    await removeLink(name);
  } catch (err) {
    if (!isNotFound(err)) throw wrap(err, `remove bridge ${JSON.stringify(name)}`);
  }
}

/** Turns on IPv4 forwarding, which NAT to the outside needs (docker does the same). */
export function enableIpForwarding(): void {
  writeSysctl('net.ipv4.ip_forward', '1');
}
