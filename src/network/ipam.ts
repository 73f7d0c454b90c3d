import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { conflict, errorCode, invalidArgument, notFound, unavailable, wrap, writeFileAtomicSync } from '../lib/index.ts';
import { overwriteInPlace } from './overwrite.ts';
import { broadcastOf, firstHost, formatSubnet, intToIp, ipToInt, parseSubnet, subnetContains, subnetsOverlap } from './cidr.ts';

/** One network's address pool: its subnet, gateway, optional sub-range, and who holds which address. */
export interface IpamPool {
  subnet: string;
  gateway: string;
  /** Allocate only from this sub-range (docker's --ip-range). */
  ipRange?: string;
  /** address → owner (an endpoint or container id; "gateway" for the gateway). */
  allocations: Record<string, string>;
}

interface IpamState {
  version: 1;
  pools: Record<string, IpamPool>;
}

export interface AddPoolOptions {
  subnet: string;
  gateway?: string;
  ipRange?: string;
}

/** The runtime file's content: every pool's allocations other than the gateway. */
interface AllocationsFile {
  version: 1;
  allocations: Record<string, Record<string, string>>;
}

export interface IpamOptions {
  /**
   * Where the addresses held by endpoints go (a file under the exec-root): rewritten in place at
   * every allocation and release, while `file` (the pools) is written durably only when a pool
   * comes or goes. Absent: everything in `file`, replaced atomically (temp file + rename).
   */
  runtimeFile?: string;
}

/**
 * IPv4 address management persisted in JSON, so addresses survive a daemon restart and are
 * released by owner afterwards. The parsed files are kept in memory and read again only when
 * they changed under us (another instance wrote them: inode, mtime or size moved). Every call
 * works on a copy, so a call that fails half-way changes nothing. With a runtime file, a missing
 * or unreadable one (after a power loss) means no endpoint holds an address: true after a reboot.
 */
export class Ipam {
  #cache: { state: IpamState; stamp: string } | undefined;
  readonly #runtimeFile: string | undefined;

  constructor(
    private readonly file: string,
    options: IpamOptions = {},
  ) {
    this.#runtimeFile = options.runtimeFile;
  }

  #stamp(): string {
    return [this.file, this.#runtimeFile].map((f) => {
      if (!f) return '';
      try {
        const st = statSync(f, { bigint: true });
        return `${st.ino}:${st.mtimeNs}:${st.size}`;
      } catch {
        return 'none';
      }
    }).join('/');
  }

  private load(): IpamState {
    const stamp = this.#stamp();
    if (this.#cache?.stamp !== stamp) this.#cache = { state: this.read(), stamp };
    return structuredClone(this.#cache.state);
  }

  private read(): IpamState {
    let state: IpamState;
    try {
      state = JSON.parse(readFileSync(this.file, 'utf8')) as IpamState;
      if (state.version !== 1 || typeof state.pools !== 'object') throw invalidArgument(`ipam ${JSON.stringify(this.file)}: unknown format`);
    } catch (err) {
      if (errorCode(err) !== 'not-found') throw wrap(err, `ipam: read ${JSON.stringify(this.file)}`);
      state = { version: 1, pools: {} };
    }
    if (!this.#runtimeFile) return state;
    let held: AllocationsFile['allocations'] | undefined;
    try {
      const r = JSON.parse(readFileSync(this.#runtimeFile, 'utf8')) as AllocationsFile;
      if (r.version === 1 && typeof r.allocations === 'object') held = r.allocations;
    } catch {
      // none yet (the pools file's own allocations stand), or torn by a power loss (none held)
      if (existsSync(this.#runtimeFile)) held = {};
    }
    if (held) {
      for (const [network, pool] of Object.entries(state.pools)) {
        pool.allocations = { [pool.gateway]: 'gateway', ...(held[network] ?? {}) };
      }
    }
    return state;
  }

  /**
   * Pools are written durably (fsync + rename); allocations, which describe endpoints that do
   * not outlive a reboot (the daemon releases those of containers that no longer run when it
   * starts), go to the runtime file in place, or without fsync when there is none.
   */
  private save(state: IpamState, options: { durable?: boolean } = {}): void {
    mkdirSync(dirname(this.file), { recursive: true });
    if (this.#runtimeFile) {
      const held: AllocationsFile = { version: 1, allocations: {} };
      for (const [network, pool] of Object.entries(state.pools)) {
        held.allocations[network] = Object.fromEntries(Object.entries(pool.allocations).filter(([, owner]) => owner !== 'gateway'));
      }
      overwriteInPlace(this.#runtimeFile, JSON.stringify(held));
      if (options.durable) {
        // the pools alone: who holds which address lives in the runtime file
        const pools = Object.fromEntries(Object.entries(state.pools).map(([network, pool]) => [network, { ...pool, allocations: { [pool.gateway]: 'gateway' } }]));
        writeFileAtomicSync(this.file, JSON.stringify({ version: 1, pools }, null, 1));
      }
    } else if (options.durable) {
      writeFileAtomicSync(this.file, JSON.stringify(state, null, 1));
    } else {
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state, null, 1));
      renameSync(tmp, this.file);
    }
    this.#cache = { state, stamp: this.#stamp() };
  }

  /** Registers a network's pool; conflict when its subnet overlaps another network's. */
  addPool(network: string, options: AddPoolOptions): IpamPool {
    const state = this.load();
    if (state.pools[network]) throw conflict(`ipam: network ${JSON.stringify(network)} already has a pool`);
    const subnet = parseSubnet(options.subnet);
    if (subnet.prefix > 30) throw invalidArgument(`ipam: subnet ${JSON.stringify(options.subnet)} too small`);
    for (const [other, pool] of Object.entries(state.pools)) {
      if (subnetsOverlap(subnet, parseSubnet(pool.subnet))) {
        throw conflict(`ipam: subnet ${JSON.stringify(options.subnet)} overlaps ${JSON.stringify(pool.subnet)} of network ${JSON.stringify(other)}`);
      }
    }
    const gateway = options.gateway ?? firstHost(subnet);
    this.checkHost(subnet, gateway, 'gateway');
    const pool: IpamPool = { subnet: formatSubnet(subnet), gateway, allocations: { [gateway]: 'gateway' } };
    if (options.ipRange) {
      const range = parseSubnet(options.ipRange);
      if (!subnetContains(subnet, range.network) || range.prefix < subnet.prefix) {
        throw invalidArgument(`ipam: ip-range ${JSON.stringify(options.ipRange)} is not inside subnet ${JSON.stringify(options.subnet)}`);
      }
      pool.ipRange = formatSubnet(range);
    }
    state.pools[network] = pool;
    this.save(state, { durable: true });
    return pool;
  }

  private checkHost(subnet: ReturnType<typeof parseSubnet>, ip: string, what: string): void {
    const n = ipToInt(ip);
    if (!subnetContains(subnet, n) || n === subnet.network || n === broadcastOf(subnet)) {
      throw invalidArgument(`ipam: ${what} ${JSON.stringify(ip)} is not a host address of ${formatSubnet(subnet)}`);
    }
  }

  /** Drops a network's pool; conflict while endpoints still hold addresses unless `force`. */
  removePool(network: string, options: { force?: boolean } = {}): void {
    const state = this.load();
    const pool = state.pools[network];
    if (!pool) return;
    const held = Object.entries(pool.allocations).filter(([, owner]) => owner !== 'gateway');
    if (held.length > 0 && !options.force) {
      throw conflict(`ipam: network ${JSON.stringify(network)} has addresses in use (${held.map(([ip]) => ip).join(', ')})`);
    }
    delete state.pools[network];
    this.save(state, { durable: true });
  }

  pool(network: string): IpamPool | undefined {
    return this.load().pools[network];
  }

  pools(): Record<string, IpamPool> {
    return this.load().pools;
  }

  /**
   * Gives `owner` an address of `network`: `ip` when asked (conflict if taken), else the lowest
   * free host address of the ip-range or subnet.
   */
  allocate(network: string, owner: string, options: { ip?: string } = {}): string {
    const state = this.load();
    const pool = state.pools[network];
    if (!pool) throw notFound(`ipam: network ${JSON.stringify(network)} has no pool`);
    const subnet = parseSubnet(pool.subnet);
    if (options.ip) {
      this.checkHost(subnet, options.ip, 'address');
      const holder = pool.allocations[options.ip];
      if (holder !== undefined && holder !== owner) throw conflict(`ipam: address ${JSON.stringify(options.ip)} is already in use`);
      pool.allocations[options.ip] = owner;
      this.save(state);
      return options.ip;
    }
    const range = pool.ipRange ? parseSubnet(pool.ipRange) : subnet;
    const first = Math.max(range.network, subnet.network + 1);
    const last = Math.min(broadcastOf(range), broadcastOf(subnet) - 1);
    for (let n = first; n <= last; n++) {
      const ip = intToIp(n);
      if (pool.allocations[ip] === undefined) {
        pool.allocations[ip] = owner;
        this.save(state);
        return ip;
      }
    }
    throw unavailable(`ipam: no free address in ${pool.ipRange ?? pool.subnet} of network ${JSON.stringify(network)}`);
  }

  /** Frees one address (not the gateway); no error when it is not allocated. */
  release(network: string, ip: string): void {
    const state = this.load();
    const pool = state.pools[network];
    if (!pool || pool.allocations[ip] === undefined || pool.allocations[ip] === 'gateway') return;
    delete pool.allocations[ip];
    this.save(state);
  }

  /** Frees every address `owner` holds, in every network; returns them as network → addresses. */
  releaseOwner(owner: string): Record<string, string[]> {
    const state = this.load();
    const out: Record<string, string[]> = {};
    for (const [network, pool] of Object.entries(state.pools)) {
      for (const [ip, holder] of Object.entries(pool.allocations)) {
        if (holder !== owner || owner === 'gateway') continue;
        delete pool.allocations[ip];
        (out[network] ??= []).push(ip);
      }
    }
    if (Object.keys(out).length > 0) this.save(state);
    return out;
  }
}
