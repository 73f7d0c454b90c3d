import { nullLogger, wrap } from '../lib/index.ts';
import type { Logger } from '../lib/index.ts';
import { ensureBridge, removeBridge } from './bridge.ts';
import { parseSubnet } from './cidr.ts';
import { attachEndpoint, detachEndpoint } from './endpoint.ts';
import type { Endpoint } from './endpoint.ts';
import type { BridgeFirewall, PortMapping } from './firewall.ts';
import type { Ipam } from './ipam.ts';

/** A bridge network as the engine records it. */
export interface BridgeNetwork {
  /** Network id (the IPAM pool key). */
  id: string;
  /** Bridge interface name ("berth0", "br-<id prefix>"). */
  bridge: string;
  subnet: string;
  /** Default: the subnet's first host. */
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  mtu?: number;
}

export interface ConnectOptions {
  /** The container id: owns the address and the published ports. */
  owner: string;
  netnsPath: string;
  /** A fixed address (--ip); default the next free one. */
  ip?: string;
  mac?: string;
  ifName?: string;
  /** No default route through this network (a container's second network: the first one routes). */
  noDefaultRoute?: boolean;
}

export interface ConnectedEndpoint extends Endpoint {
  gateway: string;
  prefixLength: number;
}

/**
 * The bridge driver: one network = an IPAM pool + a bridge + its firewall rules; connecting a
 * container = an address + a veth endpoint; publishing = DNAT rules. `reconcile` releases what
 * belongs to containers that no longer exist (after a daemon crash).
 */
export class BridgeNetworks {
  private readonly ipam: Ipam;
  private readonly firewall: BridgeFirewall;
  private readonly logger: Logger;

  constructor(options: { ipam: Ipam; firewall: BridgeFirewall; logger?: Logger }) {
    this.ipam = options.ipam;
    this.firewall = options.firewall;
    this.logger = options.logger ?? nullLogger;
  }

  /**
   * Creates (or, at daemon start, re-creates) a network's pool, bridge and rules, isolated from
   * the bridges listed in `isolateFrom`.
   */
  async create(net: BridgeNetwork, options: { isolateFrom?: string[] } = {}): Promise<{ gateway: string }> {
    try {
      let pool = this.ipam.pool(net.id);
      if (!pool) {
        pool = this.ipam.addPool(net.id, {
          subnet: net.subnet,
          ...(net.gateway ? { gateway: net.gateway } : {}),
          ...(net.ipRange ? { ipRange: net.ipRange } : {}),
        });
      }
      await ensureBridge({ name: net.bridge, subnet: pool.subnet, gateway: pool.gateway, ...(net.mtu ? { mtu: net.mtu } : {}) });
      await this.firewall.init();
      await this.firewall.addNetwork({ bridge: net.bridge, subnet: pool.subnet, ...(net.internal ? { internal: true } : {}) });
      for (const other of options.isolateFrom ?? []) if (other !== net.bridge) await this.firewall.isolate(net.bridge, other);
      return { gateway: pool.gateway };
    } catch (err) {
      throw wrap(err, `create network ${JSON.stringify(net.id)}`);
    }
  }

  /** Removes the rules, the bridge and the pool; conflict while containers hold addresses. */
  async remove(net: BridgeNetwork): Promise<void> {
    try {
      this.ipam.removePool(net.id);
      await this.firewall.removeNetwork(net.bridge);
      await removeBridge(net.bridge);
    } catch (err) {
      throw wrap(err, `remove network ${JSON.stringify(net.id)}`);
    }
  }

  /** Gives the container an address on the network and plugs its namespace into the bridge. */
  async connect(net: BridgeNetwork, options: ConnectOptions): Promise<ConnectedEndpoint> {
    const pool = this.ipam.pool(net.id);
    if (!pool) throw wrap(new Error('no such network pool'), `connect ${JSON.stringify(options.owner)} to ${JSON.stringify(net.id)}`);
    const address = this.ipam.allocate(net.id, options.owner, options.ip ? { ip: options.ip } : {});
    const prefixLength = parseSubnet(pool.subnet).prefix;
    try {
      const ep = await attachEndpoint({
        netnsPath: options.netnsPath,
        bridge: net.bridge,
        address,
        prefixLength,
        ...(net.internal || options.noDefaultRoute ? {} : { gateway: pool.gateway }),
        ...(options.ifName ? { ifName: options.ifName } : {}),
        ...(options.mac ? { mac: options.mac } : {}),
        ...(net.mtu ? { mtu: net.mtu } : {}),
      });
      return { ...ep, gateway: pool.gateway, prefixLength };
    } catch (err) {
      this.ipam.release(net.id, address);
      throw wrap(err, `connect ${JSON.stringify(options.owner)} to ${JSON.stringify(net.id)}`);
    }
  }

  /** Unplugs an endpoint and releases its address. */
  async disconnect(net: BridgeNetwork, endpoint: { hostVeth: string; address: string }): Promise<void> {
    await detachEndpoint(endpoint.hostVeth);
    this.ipam.release(net.id, endpoint.address);
  }

  /** Publishes the ports (one iptables-restore for all of them). */
  async publish(mappings: readonly PortMapping[]): Promise<void> {
    await this.firewall.publishAll(mappings);
  }

  async unpublish(owner: string): Promise<void> {
    await this.firewall.unpublish(owner);
  }

  /**
   * After a restart: unpublishes the ports and releases the addresses of every owner not in
   * `live`. Returns the owners cleaned up.
   */
  async reconcile(live: ReadonlySet<string>): Promise<string[]> {
    const stale = new Set<string>();
    for (const owner of await this.firewall.publishedOwners()) if (!live.has(owner)) stale.add(owner);
    for (const pool of Object.values(this.ipam.pools())) {
      for (const owner of Object.values(pool.allocations)) if (owner !== 'gateway' && !live.has(owner)) stale.add(owner);
    }
    for (const owner of stale) {
      await this.firewall.unpublish(owner);
      this.ipam.releaseOwner(owner);
      this.logger.info('released network resources of a container that is gone', { container: owner });
    }
    return [...stale].sort();
  }
}
