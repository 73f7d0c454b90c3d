import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, NetworkAttacher } from '../containers/index.ts';
import { berthError, conflict, invalidArgument, messageOf, notFound, nullLogger, wrap, randomHex, type Logger } from '../lib/index.ts';
import {
  BridgeFirewall,
  BridgeNetworks,
  DnsServer,
  Ipam,
  detachEndpoint,
  enableIpForwarding,
  removeBridge,
  formatSubnet,
  intToIp,
  ipToInt,
  linkEnv,
  maskOf,
  overwriteInPlace,
  parseLink,
  parseSubnet,
  renderHosts,
  renderResolvConf,
  subnetsOverlap,
  type BridgeNetwork,
  type PortMapping,
} from '../network/index.ts';
import { createNetworkNamespace, listRoutes, unmount } from '../sys/index.ts';
import { chooseHostPort, portRequests } from './network-ports.ts';
import { NetworkStateFile, type ContainerNetworkState, type EndpointRequest, type NetworkRecord } from './network-state.ts';

/** The containers the network manager serves (the container service, bound after it is built). */
export interface NetworkContainers {
  /** By id, id prefix or name; undefined when there is none. */
  find(ref: string): Container | undefined;
  list(): Container[];
}

export interface NetworkManagerOptions {
  dataRoot: string;
  execRoot: string;
  /** The default bridge's interface (docker's `--bridge`); "none": no default bridge. */
  defaultBridge?: string;
  /** The default bridge's gateway and prefix (docker's `--bip`), default 172.17.0.1/16. */
  bip?: string;
  /** iptables chain prefix (default "BERTH"). */
  chainPrefix?: string;
  /** The host's resolv.conf (default /etc/resolv.conf). */
  hostResolvConf?: string;
  log?: Logger;
  /** Network events (create, destroy, connect, disconnect). */
  onEvent?: (action: string, net: NetworkRecord, attributes?: Record<string, string>) => void;
}

export interface CreateNetworkOptions {
  name: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

const newId = () => randomHex(32);
const isLive = (c: Container) => c.state.status === 'running' || c.state.status === 'paused';
const hostnameOf = (c: Container) => c.config.hostname || c.id.slice(0, 12);

/** Candidate subnets for networks created without one (docker's default pools). */
function* candidateSubnets(): Generator<string> {
  for (let i = 18; i <= 31; i++) yield `172.${i}.0.0/16`;
  for (let i = 0; i < 256; i += 16) yield `192.168.${i}.0/20`;
}

/**
 * berthd's networks and the network side of each container (docker's libnetwork role): the
 * predefined bridge/host/none networks, user-defined bridge networks with their DNS server, and
 * for every container started on a bridge network a namespace (bind-mounted under
 * `<exec-root>/netns/<id>`) with one veth per network, published ports, and its hosts and
 * resolv.conf files. Everything set up for a container is recorded before use, so a restarted
 * daemon releases what belongs to containers that no longer run.
 */
export class NetworkManager implements NetworkAttacher {
  readonly state: NetworkStateFile;
  readonly ipam: Ipam;
  readonly firewall: BridgeFirewall;
  readonly driver: BridgeNetworks;
  readonly #o: NetworkManagerOptions;
  readonly #log: Logger;
  readonly #up = new Map<string, Promise<void>>();
  readonly #dns = new Map<string, DnsServer>();
  /** veth deletions still running on worker threads (the kernel takes ~20 ms each). */
  readonly #deleting = new Set<Promise<void>>();
  #containers: NetworkContainers = { find: () => undefined, list: () => [] };
  #forwarding = false;

  constructor(options: NetworkManagerOptions) {
    this.#o = options;
    this.#log = options.log ?? nullLogger;
    const dir = join(options.dataRoot, 'network');
    this.state = new NetworkStateFile(join(dir, 'state.json'), join(options.execRoot, 'network', 'containers.json'));
    this.ipam = new Ipam(join(dir, 'ipam.json'), { runtimeFile: join(options.execRoot, 'network', 'addresses.json') });
    this.firewall = new BridgeFirewall({ prefix: options.chainPrefix ?? 'BERTH' });
    this.driver = new BridgeNetworks({ ipam: this.ipam, firewall: this.firewall, logger: this.#log });
    this.#predefine();
  }

  setContainers(containers: NetworkContainers): void {
    this.#containers = containers;
  }

  // ------------------------------------------------------------ networks

  /** Records bridge (unless --bridge=none), host and none once; follows a changed --bip while unused. */
  #predefine(): void {
    const byName = (n: string) => this.state.networks().find((x) => x.name === n && x.predefined);
    const base = { created: new Date().toISOString(), internal: false, attachable: false, labels: {}, options: {}, predefined: true };
    if (!byName('host')) this.state.putNetwork({ ...base, id: newId(), name: 'host', driver: 'host' });
    if (!byName('none')) this.state.putNetwork({ ...base, id: newId(), name: 'none', driver: 'null' });
    const bridgeName = this.#o.defaultBridge ?? 'berth0';
    const existing = byName('bridge');
    if (bridgeName === 'none') {
      if (existing) this.state.deleteNetwork(existing.id);
      return;
    }
    const bip = this.#o.bip ?? '172.17.0.1/16';
    const [gw = '', prefixText = ''] = bip.split('/');
    const prefix = Number(prefixText);
    if (!/^\d+$/.test(prefixText) || prefix < 8 || prefix > 30) throw invalidArgument(`invalid --bip ${JSON.stringify(bip)}: want "ip/prefix"`);
    const subnet = `${intToIp((ipToInt(gw) & maskOf(prefix)) >>> 0)}/${prefix}`;
    if (existing && existing.subnet === subnet && existing.gateway === gw && existing.bridge === bridgeName) return;
    const id = existing?.id ?? newId();
    if (existing) {
      const pool = this.ipam.pool(id);
      if (pool && Object.values(pool.allocations).some((o) => o !== 'gateway')) return;
      if (pool) this.ipam.removePool(id);
    }
    this.state.putNetwork({
      ...base,
      id,
      name: 'bridge',
      driver: 'bridge',
      bridge: bridgeName,
      subnet,
      gateway: gw,
      isDefault: true,
      options: {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': bridgeName,
        'com.docker.network.driver.mtu': '1500',
      },
    });
  }

  list(): NetworkRecord[] {
    return this.state.networks().sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
  }

  /** A network by full id, name, or unique id prefix (docker's order). */
  find(ref: string): NetworkRecord {
    const all = this.state.networks();
    if (ref === 'default') {
      const def = all.find((n) => n.isDefault);
      if (def) return def;
    }
    const hit = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
    if (hit) return hit;
    const byPrefix = ref.length > 0 ? all.filter((n) => n.id.startsWith(ref)) : [];
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw invalidArgument(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    throw notFound(`network ${ref} not found`);
  }

  #tryFind(ref: string): NetworkRecord | undefined {
    try {
      return this.find(ref);
    } catch {
      return undefined;
    }
  }

  async #freeSubnet(): Promise<string> {
    const routes = await listRoutes().catch(() => []);
    const taken = [
      ...Object.values(this.ipam.pools()).map((p) => parseSubnet(p.subnet)),
      ...this.state.networks().flatMap((n) => (n.subnet ? [parseSubnet(n.subnet)] : [])),
      ...routes.flatMap((r) => {
        try {
          return r.dst === 'default' ? [] : [parseSubnet(r.dst.includes('/') ? r.dst : `${r.dst}/32`, { strict: false })];
        } catch {
          return [];
        }
      }),
    ];
    for (const cand of candidateSubnets()) {
      const s = parseSubnet(cand);
      if (!taken.some((t) => subnetsOverlap(s, t))) return cand;
    }
    throw berthError('unavailable', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  }

  /** Creates a user-defined bridge network: pool, bridge, rules and DNS server. */
  async create(o: CreateNetworkOptions): Promise<NetworkRecord> {
    if (!o.name) throw invalidArgument('network name is required');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(o.name)) throw invalidArgument(`invalid network name ${JSON.stringify(o.name)}`);
    if (this.state.networks().some((n) => n.name === o.name)) throw conflict(`network with name ${o.name} already exists`);
    const opts = o.options ?? {};
    const id = newId();
    const bridge = opts['com.docker.network.bridge.name'] ?? `br-${id.slice(0, 12)}`;
    if (bridge.length > 15) throw invalidArgument(`bridge name ${JSON.stringify(bridge)} is longer than 15 characters`);
    if (this.state.networks().some((n) => n.bridge === bridge)) throw conflict(`bridge name ${JSON.stringify(bridge)} is already in use`);
    const mtuText = opts['com.docker.network.driver.mtu'];
    const mtu = mtuText ? Number(mtuText) : undefined;
    if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) throw invalidArgument(`invalid mtu ${JSON.stringify(mtuText)}`);
    if (!o.subnet && (o.gateway || o.ipRange)) throw invalidArgument('a gateway or ip-range needs a subnet');
    const subnet = o.subnet ? formatSubnet(parseSubnet(o.subnet)) : await this.#freeSubnet();
    // reserve the pool now: overlaps and bad gateways fail the create, as in docker
    const pool = this.ipam.addPool(id, { subnet, ...(o.gateway ? { gateway: o.gateway } : {}), ...(o.ipRange ? { ipRange: o.ipRange } : {}) });
    const rec: NetworkRecord = {
      id,
      name: o.name,
      driver: 'bridge',
      created: new Date().toISOString(),
      internal: o.internal ?? false,
      attachable: o.attachable ?? false,
      labels: o.labels ?? {},
      options: opts,
      predefined: false,
      bridge,
      subnet: pool.subnet,
      gateway: pool.gateway,
      ...(pool.ipRange ? { ipRange: pool.ipRange } : {}),
      ...(mtu ? { mtu } : {}),
    };
    this.state.putNetwork(rec);
    try {
      // up at once (as docker): its route then keeps other networks off its subnet
      await this.#ensureUp(rec);
    } catch (err) {
      await this.#down(rec).catch(() => undefined);
      this.ipam.removePool(id, { force: true });
      this.state.deleteNetwork(id);
      throw err;
    }
    this.#o.onEvent?.('create', rec);
    return rec;
  }

  /** Ids of the containers on a network (asked for it, running or not). */
  users(net: NetworkRecord): Container[] {
    return this.#containers.list().filter((c) => this.#networksOf(c).includes(net.id));
  }

  async removeNetwork(ref: string): Promise<void> {
    const net = this.find(ref);
    if (net.predefined) throw berthError('permission-denied', `${net.name} is a pre-defined network and cannot be removed`);
    if (this.users(net).length > 0) {
      throw berthError('permission-denied', `error while removing network: network ${net.name} id ${net.id} has active endpoints`);
    }
    await this.#down(net);
    this.ipam.removePool(net.id, { force: true });
    this.state.deleteNetwork(net.id);
    this.#o.onEvent?.('destroy', net);
  }

  #bridgeOf(net: NetworkRecord): BridgeNetwork {
    if (net.driver !== 'bridge' || !net.bridge || !net.subnet) throw invalidArgument(`network ${net.name} is not a bridge network`);
    return {
      id: net.id,
      bridge: net.bridge,
      subnet: net.subnet,
      ...(net.gateway ? { gateway: net.gateway } : {}),
      ...(net.ipRange ? { ipRange: net.ipRange } : {}),
      ...(net.internal ? { internal: true } : {}),
      ...(net.mtu ? { mtu: net.mtu } : {}),
    };
  }

  /** Brings a bridge network up once: bridge, rules, isolation, and its DNS server when user-defined. */
  #ensureUp(net: NetworkRecord): Promise<void> {
    let p = this.#up.get(net.id);
    if (!p) {
      p = (async () => {
        if (!this.#forwarding) {
          enableIpForwarding();
          this.#forwarding = true;
        }
        const others = this.state.networks().filter((n) => n.id !== net.id && n.bridge && this.#up.has(n.id)).map((n) => n.bridge!);
        await this.driver.create(this.#bridgeOf(net), { isolateFrom: others });
        if (!net.isDefault) await this.#startDns(net);
      })();
      this.#up.set(net.id, p);
      p.catch(() => this.#up.delete(net.id));
    }
    return p;
  }

  async #startDns(net: NetworkRecord): Promise<void> {
    if (this.#dns.has(net.id) || !net.gateway) return;
    const upstream = renderResolvConf(this.#hostResolv()).upstream;
    const server = new DnsServer({ lookup: (name) => this.#lookup(net, name), upstream, logger: this.#log });
    await server.listen(net.gateway, 53);
    this.#dns.set(net.id, server);
  }

  async #down(net: NetworkRecord): Promise<void> {
    await this.#dns.get(net.id)?.close();
    this.#dns.delete(net.id);
    this.#up.delete(net.id);
    if (net.driver !== 'bridge' || !net.bridge) return;
    await this.firewall.removeNetwork(net.bridge).catch((err: unknown) => this.#log.warn('remove network rules', { network: net.id, error: messageOf(err) }));
    await removeBridge(net.bridge).catch(() => undefined);
  }

  /** The addresses of `name` on a network: container name, alias, short id, or "<name>.<network>". */
  #lookup(net: NetworkRecord, rawName: string): string[] | undefined {
    const suffix = `.${net.name.toLowerCase()}`;
    const name = rawName.endsWith(suffix) ? rawName.slice(0, -suffix.length) : rawName;
    const out: string[] = [];
    for (const c of this.#containers.list()) {
      const ep = this.state.container(c.id)?.endpoints[net.id];
      if (!ep) continue;
      const names = [c.name, c.id.slice(0, 12), ...(this.state.container(c.id)?.requests[net.id]?.aliases ?? [])].map((n) => n.toLowerCase());
      if (names.includes(name)) out.push(ep.address);
    }
    return out.length > 0 ? out : undefined;
  }

  #hostResolv(): string {
    try {
      return readFileSync(this.#o.hostResolvConf ?? '/etc/resolv.conf', 'utf8');
    } catch {
      return '';
    }
  }

  // ------------------------------------------------------------ containers

  /** The network ids a container is on, primary (its NetworkMode) first. */
  #networksOf(c: Container): string[] {
    const mode = c.hostConfig.networkMode;
    const st = this.state.container(c.id);
    const ids = Object.keys(st?.requests ?? {});
    let primary: NetworkRecord | undefined;
    if (mode === 'default' || mode === 'bridge') primary = this.state.networks().find((n) => n.isDefault);
    else if (mode === 'host' || mode === 'none') primary = this.state.networks().find((n) => n.predefined && n.name === mode);
    else if (!mode.startsWith('container:')) primary = this.#tryFind(mode);
    if (primary && !ids.includes(primary.id) && !st?.left?.includes(primary.id)) ids.unshift(primary.id);
    return ids;
  }

  /**
   * Checks a create request's networks before the container exists: the NetworkMode's network
   * and every EndpointsConfig key must exist; host, none and container: take no others.
   */
  validateCreate(mode: string, endpoints: Record<string, unknown>): void {
    const m = mode || 'default';
    if (m.startsWith('container:')) {
      if (!m.slice('container:'.length)) throw invalidArgument('invalid network mode "container:": a container name or id is needed');
    } else if (m !== 'default' && !(m === 'bridge' && !this.state.networks().some((n) => n.isDefault))) {
      this.find(m);
    }
    for (const key of Object.keys(endpoints)) {
      if ((key === 'default' || key === 'bridge') && !this.state.networks().some((n) => n.isDefault)) continue;
      const net = this.find(key);
      if ((m === 'host' || m === 'none' || m.startsWith('container:')) && net.name !== m) {
        throw invalidArgument(`container cannot be connected to network ${key} with network mode ${m}`);
      }
    }
  }

  /**
   * Checks a create request's legacy links (`--link target[:alias]`): each target must exist, and
   * the container must get a network of its own (not host, none or container:).
   */
  validateLinks(mode: string, links: readonly string[]): void {
    if (links.length === 0) return;
    const m = mode || 'default';
    for (const kind of ['host', 'none', 'container']) {
      if (m === kind || (kind === 'container' && m.startsWith('container:'))) {
        throw invalidArgument(`conflicting options: ${kind} type networking can't be used with links. This would result in undefined behavior`);
      }
    }
    for (const spec of links) {
      const { target } = parseLink(spec);
      // invalid-argument, not not-found: a 404 would make the docker CLI pull the image (moby#39823)
      if (!target || !this.#containers.find(target)) throw invalidArgument(`could not get container for ${target}: No such container: ${target}`);
    }
  }

  /** Records a new container's legacy links (by target id, so a rename keeps them). */
  createdLinks(id: string, links: readonly string[]): void {
    if (links.length === 0) return;
    const st = this.state.ensureContainer(id);
    st.links = links.flatMap((spec) => {
      const { target, alias } = parseLink(spec);
      const t = this.#containers.find(target);
      return t ? [{ target: t.id, alias }] : [];
    });
    this.state.save();
  }

  /** HostConfig.Links as docker shows them: "/<target>:/<container>/<alias>". */
  linksOf(c: Container): string[] {
    return (this.state.container(c.id)?.links ?? []).map((l) => `/${this.#containers.find(l.target)?.name ?? l.target}:/${c.name}/${l.alias}`);
  }

  /**
   * The linked containers as seen from `c`: address on a network they share (c's first), names for
   * /etc/hosts and, on the default bridge, docker's link variables. `strict`: a target that is not
   * running (or on no shared network) is an error, else it is left out.
   */
  #resolveLinks(c: Container, st: ContainerNetworkState, strict: boolean): { ip: string; names: string[]; env: string[] }[] {
    const out: { ip: string; names: string[]; env: string[] }[] = [];
    for (const link of st.links ?? []) {
      const t = this.#containers.find(link.target);
      const label = `/${t?.name ?? link.target} AS /${c.name}/${link.alias}`;
      if (!t || !isLive(t)) {
        if (strict) throw conflict(`cannot link to a non running container: ${label}`);
        continue;
      }
      const tEndpoints = this.state.container(t.id)?.endpoints ?? {};
      const netId = this.#networksOf(c).find((id) => st.endpoints[id] && tEndpoints[id]);
      const ep = netId ? tEndpoints[netId] : undefined;
      if (!netId || !ep) {
        if (strict) throw invalidArgument(`cannot link to ${label}: the containers share no network`);
        continue;
      }
      const names = [link.alias, hostnameOf(t), t.name];
      const env = this.state.network(netId)?.isDefault
        ? linkEnv({ name: `/${c.name}/${link.alias}`, ip: ep.address, ports: t.config.exposedPorts, env: t.config.env })
        : [];
      out.push({ ip: ep.address, names, env });
    }
    return out;
  }

  /** Records a new container's per-network requests (aliases, --ip, --mac-address). */
  created(id: string, endpoints: Record<string, EndpointRequest>): void {
    const entries = Object.entries(endpoints);
    if (entries.length === 0) return;
    const st = this.state.ensureContainer(id);
    for (const [ref, req] of entries) {
      const net = this.#tryFind(ref);
      if (!net) continue;
      if (net.driver === 'bridge') st.requests[net.id] = req;
    }
    this.state.save();
  }

  async attach(c: Container): Promise<{ netnsPath?: string; env?: string[] }> {
    const mode = c.hostConfig.networkMode;
    if (mode === 'host' || mode === 'none') return {};
    if (mode.startsWith('container:')) return this.#joinContainer(c, mode.slice('container:'.length));
    const ids = this.#networksOf(c).filter((id) => this.state.network(id)?.driver === 'bridge');
    if (ids.length === 0) return {};
    const st = this.state.ensureContainer(c.id);
    if (st.netnsPath || Object.keys(st.endpoints).length > 0) await this.detach(c);
    const netnsPath = join(this.#o.execRoot, 'netns', c.id);
    try {
      mkdirSync(join(this.#o.execRoot, 'netns'), { recursive: true });
      // recorded with the first endpoint; a namespace left by a crash is found in <exec-root>/netns
      st.netnsPath = netnsPath;
      createNetworkNamespace(netnsPath);
      for (const id of ids) await this.#connectEndpoint(c, this.state.network(id)!, st);
      await this.#publish(c, st);
      const env = this.#resolveLinks(c, st, true).flatMap((l) => l.env);
      this.#writeFiles(c, st);
      return { netnsPath, ...(env.length > 0 ? { env } : {}) };
    } catch (err) {
      await this.detach(c).catch(() => undefined);
      throw wrap(err, 'set up container networking');
    }
  }

  async #connectEndpoint(c: Container, net: NetworkRecord, st: ContainerNetworkState): Promise<void> {
    if (!st.netnsPath) throw invalidArgument(`container ${c.name} has no network namespace`);
    await this.#ensureUp(net);
    const used = new Set(Object.values(st.endpoints).map((e) => e.ifName));
    let n = 0;
    while (used.has(`eth${n}`)) n++;
    const req = st.requests[net.id];
    // the first network that has a way out carries the default route
    const routed = Object.keys(st.endpoints).some((id) => !this.state.network(id)?.internal);
    const ep = await this.driver.connect(this.#bridgeOf(net), {
      ...(routed ? { noDefaultRoute: true } : {}),
      owner: c.id,
      netnsPath: st.netnsPath,
      ifName: `eth${n}`,
      ...(req?.ip ? { ip: req.ip } : {}),
      ...(req?.mac ? { mac: req.mac } : {}),
    });
    st.endpoints[net.id] = {
      endpointId: newId(),
      hostVeth: ep.hostVeth,
      ifName: ep.ifName,
      mac: ep.mac,
      address: ep.address,
      gateway: ep.gateway,
      prefixLength: ep.prefixLength,
    };
    this.state.save();
  }

  async #publish(c: Container, st: ContainerNetworkState): Promise<void> {
    const reqs = portRequests(c.hostConfig.portBindings, c.hostConfig.publishAllPorts, c.config.exposedPorts);
    if (reqs.length === 0) return;
    const entry = Object.entries(st.endpoints).find(([id]) => !this.state.network(id)?.internal);
    if (!entry) return;
    const [netId, ep] = entry;
    const bridge = this.state.network(netId)!.bridge!;
    const taken = new Set<string>();
    for (const id of this.state.containerIds()) {
      for (const [key, list] of Object.entries(this.state.container(id)?.ports ?? {})) {
        for (const p of list) taken.add(`${key.split('/')[1] ?? 'tcp'}/${p.hostPort}`);
      }
    }
    const mappings: PortMapping[] = [];
    for (const r of reqs) {
      const hostPort = await chooseHostPort(r, taken);
      taken.add(`${r.proto}/${hostPort}`);
      (st.ports[r.key] ??= []).push({ hostIp: r.hostIp || '0.0.0.0', hostPort });
      mappings.push({ owner: c.id, proto: r.proto, ...(r.hostIp ? { hostIp: r.hostIp } : {}), hostPort, containerIp: ep.address, containerPort: r.containerPort, bridge });
    }
    // recorded before the rules exist, so a crash in between leaves nothing unknown behind
    this.state.save();
    await this.driver.publish(mappings);
  }

  /** hosts and resolv.conf for the container's networks (written in place: they may be mounted). */
  #writeFiles(c: Container, st: ContainerNetworkState): void {
    const eps = this.#networksOf(c).flatMap((id) => (st.endpoints[id] ? [{ net: this.state.network(id)!, ep: st.endpoints[id] }] : []));
    const primary = eps[0];
    const defaultBridge = this.state.networks().find((n) => n.isDefault);
    const hostGatewayIp = defaultBridge?.gateway ?? primary?.ep.gateway;
    const hosts = renderHosts({
      hostname: hostnameOf(c),
      ...(c.config.domainname ? { domainname: c.config.domainname } : {}),
      addresses: eps.map((e) => e.ep.address),
      extraHosts: c.hostConfig.extraHosts,
      ...(hostGatewayIp ? { hostGatewayIp } : {}),
      links: this.#resolveLinks(c, st, false),
    });
    const embedded = primary && !primary.net.isDefault ? primary.ep.gateway : undefined;
    const resolv = renderResolvConf(this.#hostResolv(), {
      dns: c.hostConfig.dns,
      dnsSearch: c.hostConfig.dnsSearch,
      dnsOptions: c.hostConfig.dnsOptions,
      ...(embedded ? { embeddedDns: embedded } : {}),
    });
    overwriteInPlace(c.hostsPath, hosts);
    overwriteInPlace(c.resolvConfPath, resolv.content);
  }

  async #joinContainer(c: Container, ref: string): Promise<{ netnsPath?: string }> {
    const target = this.#containers.find(ref);
    if (!target) throw notFound(`No such container: ${ref}`);
    if (target.id === c.id) throw invalidArgument('cannot join own network');
    if (!isLive(target) || target.state.pid <= 0) throw conflict(`cannot join network of a non running container: ${target.id}`);
    if (target.hostConfig.networkMode === 'host') return { netnsPath: '/proc/1/ns/net' };
    const netnsPath = this.state.container(target.id)?.netnsPath ?? `/proc/${target.state.pid}/ns/net`;
    for (const [from, to] of [[target.hostsPath, c.hostsPath], [target.resolvConfPath, c.resolvConfPath]] as const) {
      try {
        writeFileSync(to, readFileSync(from));
      } catch {
        // the target's files are optional
      }
    }
    return { netnsPath };
  }

  /** Releases a container's endpoints, ports and namespace; idempotent. */
  async detach(c: Container): Promise<void> {
    await this.#release(c.id);
  }

  async #release(id: string): Promise<void> {
    const st = this.state.container(id);
    if (!st) return;
    const had = Object.keys(st.ports).length > 0 || Object.keys(st.endpoints).length > 0 || st.netnsPath !== undefined;
    if (!had) return;
    if (Object.keys(st.ports).length > 0) await this.driver.unpublish(id);
    st.ports = {};
    // deleting the host end removes the pair, on a worker thread: nothing waits for it but close();
    // the address is released with the owner below (a new veth never reuses the old one's name)
    for (const ep of Object.values(st.endpoints)) this.#deleteVeth(ep.hostVeth, id);
    st.endpoints = {};
    this.ipam.releaseOwner(id);
    if (st.netnsPath) releaseNetns(st.netnsPath);
    delete st.netnsPath;
    this.state.save();
  }

  #deleteVeth(hostVeth: string, owner: string): void {
    const p = detachEndpoint(hostVeth)
      .catch((err: unknown) => this.#log.warn('delete veth', { id: owner, veth: hostVeth, error: messageOf(err) }))
      .finally(() => this.#deleting.delete(p));
    this.#deleting.add(p);
  }

  /** Resolves once the veth deletions started so far are done. */
  async settled(): Promise<void> {
    while (this.#deleting.size > 0) await Promise.all([...this.#deleting]);
  }

  /** When a container record is removed. */
  async remove(c: Container): Promise<void> {
    await this.#release(c.id);
    this.state.deleteContainer(c.id);
  }

  /** Connects a container to a network; a running one gets its endpoint at once. */
  async connect(netRef: string, containerRef: string, req: EndpointRequest): Promise<{ net: NetworkRecord; container: Container }> {
    const net = this.find(netRef);
    const c = this.#containers.find(containerRef);
    if (!c) throw notFound(`No such container: ${containerRef}`);
    const mode = c.hostConfig.networkMode;
    if (net.driver !== 'bridge' || mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      throw berthError('permission-denied', 'container sharing network namespace with another container or host cannot be connected to any other network');
    }
    if (this.#networksOf(c).includes(net.id)) throw berthError('permission-denied', `endpoint with name ${c.name} already exists in network ${net.name}`);
    const st = this.state.ensureContainer(c.id);
    st.requests[net.id] = req;
    if (st.left) st.left = st.left.filter((x) => x !== net.id);
    this.state.save();
    if (isLive(c) && st.netnsPath) {
      try {
        await this.#connectEndpoint(c, net, st);
        this.#writeFiles(c, st);
      } catch (err) {
        delete st.requests[net.id];
        this.state.save();
        throw err;
      }
    }
    this.#o.onEvent?.('connect', net, { container: c.id });
    return { net, container: c };
  }

  async disconnect(netRef: string, containerRef: string): Promise<void> {
    const net = this.find(netRef);
    const c = this.#containers.find(containerRef);
    if (!c) throw notFound(`No such container: ${containerRef}`);
    const st = this.state.ensureContainer(c.id);
    if (!this.#networksOf(c).includes(net.id)) throw berthError('permission-denied', `container ${c.id} is not connected to network ${net.name}`);
    if (net.driver !== 'bridge') throw berthError('permission-denied', `container cannot be disconnected from ${net.name} network`);
    const ep = st.endpoints[net.id];
    if (ep) {
      await this.driver.disconnect(this.#bridgeOf(net), ep);
      delete st.endpoints[net.id];
    }
    delete st.requests[net.id];
    // the NetworkMode's network stays left until the container is connected to it again
    st.left = [...new Set([...(st.left ?? []), net.id])];
    this.state.save();
    if (isLive(c)) this.#writeFiles(c, st);
    this.#o.onEvent?.('disconnect', net, { container: c.id });
  }

  /** The networks a container is on and its endpoints there, for inspect and ps. */
  view(c: Container): { networks: { net: NetworkRecord; req: EndpointRequest | undefined; ep: ContainerNetworkState['endpoints'][string] | undefined }[]; st: ContainerNetworkState | undefined } {
    const st = this.state.container(c.id);
    const networks = this.#networksOf(c).flatMap((id) => {
        const net = this.state.network(id);
        return net ? [{ net, req: st?.requests[id], ep: st?.endpoints[id] }] : [];
      });
    return { networks, st };
  }

  /**
   * At start, after the containers were restored: releases whatever belongs to containers that
   * no longer run (endpoints, ports, addresses, namespaces), then brings up the networks that
   * running containers use, with their DNS servers.
   */
  async reconcile(): Promise<void> {
    const all = this.#containers.list();
    const live = new Set(all.filter(isLive).map((c) => c.id));
    const known = new Set(all.map((c) => c.id));
    for (const id of this.state.containerIds()) {
      if (live.has(id)) continue;
      await this.#release(id).catch((err: unknown) => this.#log.warn('release container network', { id, error: messageOf(err) }));
      if (!known.has(id)) this.state.deleteContainer(id);
    }
    for (const pool of Object.values(this.ipam.pools())) {
      for (const owner of new Set(Object.values(pool.allocations))) {
        if (owner === 'gateway' || live.has(owner)) continue;
        this.ipam.releaseOwner(owner);
        await this.driver.unpublish(owner).catch(() => undefined);
      }
    }
    const nsDir = join(this.#o.execRoot, 'netns');
    let files: string[] = [];
    try {
      files = readdirSync(nsDir);
    } catch {
      // none yet
    }
    for (const f of files) if (!live.has(f)) releaseNetns(join(nsDir, f));
    const used = new Set<string>();
    for (const id of live) for (const netId of Object.keys(this.state.container(id)?.endpoints ?? {})) used.add(netId);
    for (const net of this.state.networks()) {
      if (net.driver !== 'bridge' || (!used.has(net.id) && net.isDefault)) continue;
      await this.#ensureUp(net).catch((err: unknown) => this.#log.warn('bring network up', { network: net.name, error: messageOf(err) }));
    }
  }

  async close(): Promise<void> {
    await this.settled();
    for (const s of this.#dns.values()) await s.close();
    this.#dns.clear();
  }
}

function releaseNetns(path: string): void {
  try {
    unmount(path, { lazy: true, ignoreNotMounted: true });
  } catch {
    // not a mount point
  }
  rmSync(path, { force: true });
}
