import { matchLabels, type Filters, type NetworkBackend } from '../api/server/index.ts';
import type {
  ContainerCreateRequest,
  ContainerInspect,
  ContainerSummary,
  EndpointSettings,
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkPruneResponse,
  NetworkResource,
  PortBinding,
} from '../api/types/index.ts';
import type { Container } from '../containers/index.ts';
import { invalidArgument, notFound } from '../lib/index.ts';
import type { NetworkManager } from './network-manager.ts';
import type { EndpointRequest, NetworkRecord } from './network-state.ts';

/** An EndpointsConfig entry → what the network manager records. */
export function endpointRequestFromWire(w: Partial<EndpointSettings> | null | undefined, mac?: string): EndpointRequest {
  const ipam = (w?.IPAMConfig ?? null) as { IPv4Address?: string } | null;
  const m = w?.MacAddress || mac;
  return {
    aliases: [...(w?.Aliases ?? [])].filter((a) => a !== ''),
    ...(ipam?.IPv4Address ? { ip: ipam.IPv4Address } : {}),
    ...(m ? { mac: m } : {}),
  };
}

function isUntil(created: string, until: string): boolean {
  const t = /^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.parse(until);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${until}'`);
  return Date.parse(created) < t;
}

/**
 * The Engine API's networks, and the network parts of container create/inspect/list, over the
 * network manager: wire shapes only.
 */
export class DaemonNetworkBackend implements NetworkBackend {
  constructor(private readonly manager: NetworkManager) {}

  toWire(n: NetworkRecord): NetworkResource {
    const containers: NetworkResource['Containers'] = {};
    for (const c of this.manager.users(n)) {
      const ep = this.manager.state.container(c.id)?.endpoints[n.id];
      if (!ep) continue;
      containers[c.id] = { Name: c.name, EndpointID: ep.endpointId, MacAddress: ep.mac, IPv4Address: `${ep.address}/${ep.prefixLength}`, IPv6Address: '' };
    }
    return {
      Name: n.name,
      Id: n.id,
      Created: n.created,
      Scope: 'local',
      Driver: n.driver,
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: n.predefined ? null : {},
        Config: n.subnet ? [{ Subnet: n.subnet, ...(n.gateway ? { Gateway: n.gateway } : {}), ...(n.ipRange ? { IPRange: n.ipRange } : {}) }] : [],
      },
      Internal: n.internal,
      Attachable: n.attachable,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: containers,
      Options: n.options,
      Labels: n.labels,
    };
  }

  async list(filters: Filters): Promise<NetworkResource[]> {
    const get = (k: string) => filters.get(k) ?? [];
    const any = (k: string, pred: (v: string) => boolean) => get(k).length === 0 || get(k).some(pred);
    return this.manager
      .list()
      .filter((n) => {
        if (!any('name', (v) => n.name.includes(v))) return false;
        if (!any('id', (v) => n.id.startsWith(v))) return false;
        if (!any('driver', (v) => n.driver === v)) return false;
        if (!any('scope', (v) => v === 'local')) return false;
        if (!any('type', (v) => (v === 'builtin' ? n.predefined : v === 'custom' ? !n.predefined : false))) return false;
        if (!matchLabels(n.labels, get('label'))) return false;
        if (!any('dangling', (v) => (v === 'true' || v === '1') === (!n.predefined && this.manager.users(n).length === 0))) return false;
        return true;
      })
      .map((n) => this.toWire(n));
  }

  async inspect(ref: string): Promise<NetworkResource> {
    return this.toWire(this.manager.find(ref));
  }

  async create(r: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    const driver = r.Driver || 'bridge';
    if (driver !== 'bridge') {
      if (driver === 'host' || driver === 'null') throw invalidArgument(`only one instance of "${driver}" network is allowed`);
      throw notFound(`plugin "${driver}" not found`);
    }
    if (r.EnableIPv6) throw invalidArgument('IPv6 networks are not supported');
    const cfg = r.IPAM?.Config?.[0];
    if ((r.IPAM?.Config?.length ?? 0) > 1) throw invalidArgument('only one IPv4 subnet per network is supported');
    const net = await this.manager.create({
      name: r.Name,
      internal: r.Internal ?? false,
      attachable: r.Attachable ?? false,
      labels: r.Labels ?? {},
      options: r.Options ?? {},
      ...(cfg?.Subnet ? { subnet: cfg.Subnet } : {}),
      ...(cfg?.Gateway ? { gateway: cfg.Gateway } : {}),
      ...(cfg?.IPRange ? { ipRange: cfg.IPRange } : {}),
    });
    return { Id: net.id, Warning: '' };
  }

  remove(ref: string): Promise<void> {
    return this.manager.removeNetwork(ref);
  }

  async connect(ref: string, r: NetworkConnectRequest): Promise<void> {
    if (!r.Container) throw invalidArgument('container is required');
    await this.manager.connect(ref, r.Container, endpointRequestFromWire(r.EndpointConfig));
  }

  async disconnect(ref: string, r: NetworkDisconnectRequest): Promise<void> {
    if (!r.Container) throw invalidArgument('container is required');
    await this.manager.disconnect(ref, r.Container);
  }

  async prune(filters: Filters): Promise<NetworkPruneResponse> {
    const deleted: string[] = [];
    for (const n of this.manager.list()) {
      if (n.predefined || this.manager.users(n).length > 0) continue;
      if (!matchLabels(n.labels, filters.get('label') ?? [])) continue;
      if ((filters.get('label!') ?? []).some((l) => matchLabels(n.labels, [l]))) continue;
      if ((filters.get('until') ?? []).some((u) => !isUntil(n.created, u))) continue;
      await this.manager.removeNetwork(n.id);
      deleted.push(n.name);
    }
    return { NetworksDeleted: deleted };
  }

  // ------------------------------------------------------------ containers

  /** Before a container is created: its networks must exist. */
  validateCreate(req: ContainerCreateRequest): void {
    this.manager.validateCreate(req.HostConfig?.NetworkMode ?? 'default', req.NetworkingConfig?.EndpointsConfig ?? {});
    this.manager.validateLinks(req.HostConfig?.NetworkMode ?? 'default', req.HostConfig?.Links ?? []);
  }

  /** After a container was created: its aliases, --ip and --mac-address per network. */
  created(id: string, req: ContainerCreateRequest): void {
    const eps = { ...(req.NetworkingConfig?.EndpointsConfig ?? {}) };
    const mode = req.HostConfig?.NetworkMode || 'default';
    const primaryKey = mode === 'default' ? 'bridge' : mode;
    if (req.MacAddress && !eps[primaryKey] && !mode.startsWith('container:') && mode !== 'host' && mode !== 'none') eps[primaryKey] = {};
    const out: Record<string, EndpointRequest> = {};
    for (const [k, v] of Object.entries(eps)) {
      if (k === 'host' || k === 'none') continue;
      out[k] = endpointRequestFromWire(v, k === primaryKey ? req.MacAddress : undefined);
    }
    this.manager.created(id, out);
    this.manager.createdLinks(id, req.HostConfig?.Links ?? []);
  }

  #endpoints(c: Container): { networks: Record<string, EndpointSettings>; ports: Record<string, PortBinding[] | null>; primary?: EndpointSettings; sandboxKey: string } {
    const { networks, st } = this.manager.view(c);
    const out: Record<string, EndpointSettings> = {};
    let primary: EndpointSettings | undefined;
    for (const { net, req, ep } of networks) {
      const user = net.driver === 'bridge' && !net.isDefault;
      const e: EndpointSettings = {
        IPAMConfig: req?.ip ? { IPv4Address: req.ip } : null,
        Links: null,
        Aliases: user ? [...(req?.aliases ?? []), c.id.slice(0, 12)] : null,
        MacAddress: ep?.mac ?? '',
        DriverOpts: null,
        NetworkID: net.id,
        EndpointID: ep?.endpointId ?? '',
        Gateway: ep?.gateway ?? '',
        IPAddress: ep?.address ?? '',
        IPPrefixLen: ep?.prefixLength ?? 0,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        DNSNames: user ? [c.name, ...(req?.aliases ?? []), c.id.slice(0, 12)] : null,
      };
      out[net.name] = e;
      if (net.isDefault) primary = e;
    }
    const ports: Record<string, PortBinding[] | null> = {};
    const running = c.state.status === 'running' || c.state.status === 'paused';
    if (running) {
      for (const p of c.config.exposedPorts) ports[p.includes('/') ? p : `${p}/tcp`] = null;
      for (const [k, list] of Object.entries(st?.ports ?? {})) ports[k] = list.map((b) => ({ HostIp: b.hostIp, HostPort: String(b.hostPort) }));
    }
    return { networks: out, ports, ...(primary ? { primary } : {}), sandboxKey: st?.netnsPath ?? '' };
  }

  /** Fills inspect's NetworkSettings (Networks, Ports, the default bridge's top-level fields). */
  decorateInspect(c: Container, out: ContainerInspect): void {
    const v = this.#endpoints(c);
    const p = v.primary;
    const links = this.manager.linksOf(c);
    if (links.length > 0) out.HostConfig = { ...out.HostConfig, Links: links };
    out.NetworkSettings = {
      ...out.NetworkSettings,
      SandboxKey: v.sandboxKey,
      SandboxID: v.sandboxKey ? c.id : '',
      Ports: v.ports,
      Networks: v.networks,
      EndpointID: p?.EndpointID ?? '',
      Gateway: p?.Gateway ?? '',
      IPAddress: p?.IPAddress ?? '',
      IPPrefixLen: p?.IPPrefixLen ?? 0,
      MacAddress: p?.MacAddress ?? '',
    };
  }

  /** Fills a `ps` entry's Ports and NetworkSettings. */
  decorateSummary(c: Container, s: ContainerSummary): void {
    const v = this.#endpoints(c);
    s.NetworkSettings = { Networks: v.networks };
    const ports: ContainerSummary['Ports'] = [];
    for (const [key, list] of Object.entries(v.ports)) {
      const [port = '0', proto = 'tcp'] = key.split('/');
      if (!list || list.length === 0) ports.push({ PrivatePort: Number(port), Type: proto });
      else for (const b of list) ports.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
    }
    if (ports.length > 0 || c.state.status === 'running') s.Ports = ports;
  }
}
