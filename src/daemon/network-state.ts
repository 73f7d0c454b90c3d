import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorCode, invalidArgument, wrap, writeFileAtomicSync } from '../lib/index.ts';
import { overwriteInPlace } from '../network/index.ts';

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
  /** Only in files written before the per-container part moved to the runtime file. */
  containers?: Record<string, ContainerNetworkState>;
}

interface RuntimeFile {
  version: 1;
  containers: Record<string, ContainerNetworkState>;
}

/**
 * berthd's network records and per-container endpoints, kept in memory; the daemon is the only
 * writer. Network records go to `<data-root>/network/state.json`, durably (fsync + rename).
 * The per-container part (namespaces, veths, ports: nothing that outlives a reboot) goes to a
 * runtime file under the exec-root, overwritten in place with one write(2): a process killed at
 * any point leaves the old or the new content, and creating and renaming a file per container
 * start and stop would cost more than the networking itself. A runtime file that is missing or
 * unreadable (after a power loss) reads as "no container had networking", which is the truth
 * after a reboot; the daemon's start-up reconcile cleans up anything left.
 */
export class NetworkStateFile {
  private state: { networks: Record<string, NetworkRecord>; containers: Record<string, ContainerNetworkState> };

  constructor(
    private readonly file: string,
    private readonly runtimeFile: string = join(dirname(file), 'containers.json'),
  ) {
    this.state = this.load();
  }

  private load(): NetworkStateFile['state'] {
    let durable: StateFile = { version: 1, networks: {} };
    try {
      const s = JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
      if (s.version !== 1 || typeof s.networks !== 'object') throw invalidArgument('unknown format');
      durable = s;
    } catch (err) {
      if (!(errorCode(err) === 'not-found' || (err as NodeJS.ErrnoException).code === 'ENOENT')) throw wrap(err, `read network state ${JSON.stringify(this.file)}`);
    }
    let containers = durable.containers ?? {};
    try {
      const r = JSON.parse(readFileSync(this.runtimeFile, 'utf8')) as RuntimeFile;
      if (r.version === 1 && typeof r.containers === 'object') containers = r.containers;
    } catch {
      // none yet, or torn by a power loss: nothing of it survived the reboot anyway
    }
    return { networks: durable.networks, containers };
  }

  /** Writes the per-container part (the runtime file); network records are saved as they change. */
  save(): void {
    const data: RuntimeFile = { version: 1, containers: this.state.containers };
    overwriteInPlace(this.runtimeFile, JSON.stringify(data));
  }

  private saveNetworks(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const data: StateFile = { version: 1, networks: this.state.networks };
    writeFileAtomicSync(this.file, JSON.stringify(data, null, 1));
  }

  networks(): NetworkRecord[] {
    return Object.values(this.state.networks);
  }

  network(id: string): NetworkRecord | undefined {
    return this.state.networks[id];
  }

  putNetwork(n: NetworkRecord): void {
    this.state.networks[n.id] = n;
    this.saveNetworks();
  }

  deleteNetwork(id: string): void {
    delete this.state.networks[id];
    this.saveNetworks();
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
