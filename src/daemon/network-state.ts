import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorCode, invalidArgument, wrap, writeFileAtomicSync } from '../lib/index.ts';

/** A network as berthd records it: docker's fields plus the bridge driver's. */
export interface NetworkRecord {
  /** 64 hex digits, as docker's network ids. */
  id: string;
  name: string;
  /** "bridge", or "host" / "null" for the predefined networks of those names. */
  driver: 'bridge' | 'host' | 'null';
  created: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** The predefined networks (bridge, host, none) cannot be removed. */
  predefined: boolean;
  /** Bridge driver: interface name, subnet, gateway, sub-range, MTU. */
  bridge?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  mtu?: number;
  /** The default bridge: no name resolution, as docker's. */
  isDefault?: boolean;
}

/** What a container asked for on one network (create's EndpointsConfig, or connect's). */
export interface EndpointRequest {
  aliases: string[];
  /** --ip */
  ip?: string;
  /** --mac-address */
  mac?: string;
}

/** An endpoint that exists now: a veth into the network's bridge and an address. */
export interface LiveEndpoint {
  endpointId: string;
  hostVeth: string;
  ifName: string;
  mac: string;
  address: string;
  gateway: string;
  prefixLength: number;
}

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
}

/** One container's networking: what it asked for, and what is set up while it runs. */
export interface ContainerNetworkState {
  /** network id → request; insertion order is interface order (eth0 first). */
  requests: Record<string, EndpointRequest>;
  /** The bind-mounted namespace, while the container runs on bridge networks. */
  netnsPath?: string;
  /** network id → live endpoint. */
  endpoints: Record<string, LiveEndpoint>;
  /** Networks the container was disconnected from, its NetworkMode's included. */
  left?: string[];
  /** "80/tcp" → host bindings published now. */
  ports: Record<string, PublishedPort[]>;
  /** Legacy links (--link): target container id and alias. */
  links?: { target: string; alias: string }[];
}

interface StateFile {
  version: 1;
  networks: Record<string, NetworkRecord>;
  containers: Record<string, ContainerNetworkState>;
}

/**
 * berthd's network records and per-container endpoints, in one JSON file written atomically
 * (`<data-root>/network/state.json`); the daemon is the only writer and keeps it in memory.
 */
export class NetworkStateFile {
  private state: StateFile;

  constructor(private readonly file: string) {
    this.state = this.load();
  }

  private load(): StateFile {
    try {
      const s = JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
      if (s.version !== 1 || typeof s.networks !== 'object' || typeof s.containers !== 'object') throw invalidArgument('unknown format');
      return s;
    } catch (err) {
      if (errorCode(err) === 'not-found' || (err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, networks: {}, containers: {} };
      throw wrap(err, `read network state ${JSON.stringify(this.file)}`);
    }
  }

  /**
   * Writes the file atomically (temp file + rename); durably (fsync) only when asked, as for
   * network records: the per-container part describes namespaces and veths that do not outlive a
   * reboot, and an fsync per container start and stop would cost more than the networking itself.
   */
  save(options: { durable?: boolean } = {}): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const data = JSON.stringify(this.state, null, 1);
    if (options.durable) {
      writeFileAtomicSync(this.file, data);
      return;
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, this.file);
  }

  networks(): NetworkRecord[] {
    return Object.values(this.state.networks);
  }

  network(id: string): NetworkRecord | undefined {
    return this.state.networks[id];
  }

  putNetwork(n: NetworkRecord): void {
    this.state.networks[n.id] = n;
    this.save({ durable: true });
  }

  deleteNetwork(id: string): void {
    delete this.state.networks[id];
    this.save({ durable: true });
  }

  container(id: string): ContainerNetworkState | undefined {
    return this.state.containers[id];
  }

  containerIds(): string[] {
    return Object.keys(this.state.containers);
  }

  /** The container's state, created empty when missing (not saved until `save`). */
  ensureContainer(id: string): ContainerNetworkState {
    return (this.state.containers[id] ??= { requests: {}, endpoints: {}, ports: {} });
  }

  deleteContainer(id: string): void {
    if (!this.state.containers[id]) return;
    delete this.state.containers[id];
    this.save();
  }
}
