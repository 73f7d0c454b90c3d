import { invalidArgument } from '../lib/index.ts';
import { deleteChain, deleteRule, iptables, iptablesBatch, iptablesDump, listRules, restoreArg, ruleKey, splitRule } from '../sys/index.ts';
import type { IptablesTable } from '../sys/index.ts';
import { parseSubnet, ipToInt } from './cidr.ts';

export interface FirewallOptions {
  /** Chain name prefix (default "BERTH"): chains <prefix>-DNAT, -POSTROUTING (nat) and -FORWARD (filter). */
  prefix?: string;
}

export interface NetworkRules {
  bridge: string;
  subnet: string;
  /** No traffic in or out of the bridge except between its own endpoints. */
  internal?: boolean;
}

export interface PortMapping {
  /** Who the rules belong to (a container id): unpublish(owner) removes them all. */
  owner: string;
  proto: 'tcp' | 'udp' | 'sctp';
  /** Host address to listen on; absent or 0.0.0.0 for every local address (127.0.0.1 included). */
  hostIp?: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  bridge: string;
}

/**
 * Berth's iptables rules, in chains of its own that the built-in chains jump to: NAT to the
 * outside (masquerade), forwarding to and from bridges, isolation between networks, and
 * published ports (DNAT from the host's addresses, loopback included). Every rule carries a
 * comment naming what it belongs to, so it can be removed by owner after a crash.
 */
export class BridgeFirewall {
  readonly dnatChain: string;
  readonly postroutingChain: string;
  readonly forwardChain: string;
  /** The tail of the batches run so far (see serial). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: FirewallOptions = {}) {
    const prefix = options.prefix ?? 'BERTH';
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,17}$/.test(prefix)) throw invalidArgument(`firewall: invalid chain prefix ${JSON.stringify(prefix)}`);
    this.dnatChain = `${prefix}-DNAT`;
    this.postroutingChain = `${prefix}-POSTROUTING`;
    this.forwardChain = `${prefix}-FORWARD`;
  }

  private jumps(): [IptablesTable, string, string[]][] {
    return [
      ['nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', this.dnatChain]],
      ['nat', 'OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', this.dnatChain]],
      ['nat', 'POSTROUTING', ['-j', this.postroutingChain]],
      ['filter', 'FORWARD', ['-j', this.forwardChain]],
    ];
  }

  /** Creates the chains and the jumps to them; idempotent. */
  async init(): Promise<void> {
    await this.ensure(this.jumps().map(([table, chain, rule]) => ({ table, chain, rule, insert: true })));
  }

  /**
   * Adds the rules (and Berth's chains) that are not there yet: one iptables-save to look, at
   * most one iptables-restore to add, instead of two iptables runs per rule.
   */
  private ensure(rules: { table: IptablesTable; chain: string; rule: string[]; insert?: boolean }[]): Promise<void> {
    return this.serial(() => this.ensureNow(rules));
  }

  /**
   * Runs batches one at a time: a look-then-add must not interleave with another (declaring a
   * chain that another batch created meanwhile would flush it).
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ensureNow(rules: { table: IptablesTable; chain: string; rule: string[]; insert?: boolean }[]): Promise<void> {
    const dump = await iptablesDump();
    const lines: Partial<Record<IptablesTable, string[]>> = {};
    const ours: [IptablesTable, string][] = [['nat', this.dnatChain], ['nat', this.postroutingChain], ['filter', this.forwardChain]];
    for (const [table, chain] of ours) {
      if (!dump.chains[table]?.includes(chain)) (lines[table] ??= []).push(`:${chain} - [0:0]`);
    }
    const have = new Set<string>();
    for (const [table, ls] of Object.entries(dump.rules)) {
      for (const line of ls ?? []) {
        const args = splitRule(line);
        have.add(`${table} ${args[1]} ${ruleKey(args.slice(2))}`);
      }
    }
    for (const r of rules) {
      const key = `${r.table} ${r.chain} ${ruleKey(r.rule)}`;
      if (have.has(key)) continue;
      have.add(key);
      (lines[r.table] ??= []).push(`${r.insert ? '-I' : '-A'} ${r.chain} ${r.rule.map(restoreArg).join(' ')}`);
    }
    await iptablesBatch(lines);
  }

  /** Removes the jumps and the chains with every rule in them. */
  async teardown(): Promise<void> {
    for (const [table, chain, rule] of this.jumps()) await deleteRule(table, chain, rule);
    await deleteChain('nat', this.dnatChain);
    await deleteChain('nat', this.postroutingChain);
    await deleteChain('filter', this.forwardChain);
  }

  /** The rules a bridge network needs: masquerade out, forwarding in its own bridge, or isolation when internal. */
  async addNetwork(net: NetworkRules): Promise<void> {
    parseSubnet(net.subnet);
    const tag = comment(`net:${net.bridge}`);
    const br = net.bridge;
    const fwd = (rule: string[]) => ({ table: 'filter' as const, chain: this.forwardChain, rule });
    const post = (rule: string[]) => ({ table: 'nat' as const, chain: this.postroutingChain, rule });
    if (net.internal) {
      await this.ensure([
        fwd(['-i', br, '-o', br, ...tag, '-j', 'ACCEPT']),
        fwd(['-i', br, '!', '-o', br, ...tag, '-j', 'DROP']),
        fwd(['!', '-i', br, '-o', br, ...tag, '-j', 'DROP']),
      ]);
      return;
    }
    await this.ensure([
      fwd(['-i', br, '-o', br, ...tag, '-j', 'ACCEPT']),
      fwd(['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'ACCEPT']),
      fwd(['-i', br, '!', '-o', br, ...tag, '-j', 'ACCEPT']),
      post(['-s', net.subnet, '!', '-o', br, ...tag, '-j', 'MASQUERADE']),
      // ports published on 127.0.0.1: the reply must come back to a non-loopback source
      post(['-s', '127.0.0.0/8', '-o', br, ...tag, '-j', 'MASQUERADE']),
    ]);
  }

  /** Drops traffic between two bridges (docker's inter-network isolation). */
  async isolate(bridgeA: string, bridgeB: string): Promise<void> {
    await this.ensure(
      ([[bridgeA, bridgeB], [bridgeB, bridgeA]] as const).map(([a, b]) => ({
        table: 'filter' as const,
        chain: this.forwardChain,
        rule: ['-i', a, '-o', b, ...comment(`net:${a}`), '-j', 'DROP'],
        insert: true,
      })),
    );
  }

  /** Removes every rule of a bridge network (its own, and isolation rules naming it). */
  async removeNetwork(bridge: string): Promise<void> {
    await this.deleteTagged(`net:${bridge}`);
    for (const line of await listRules('filter', this.forwardChain)) {
      const args = splitRule(line);
      if (args.includes('DROP') && (argAfter(args, '-i') === bridge || argAfter(args, '-o') === bridge)) {
        await iptables('filter', ['-D', ...args.slice(1)]);
      }
    }
  }

  /** Publishes one port: DNAT from the host address(es) to the container, and forwarding to it. */
  async publish(p: PortMapping): Promise<void> {
    await this.publishAll([p]);
  }

  /**
   * Publishes ports in one iptables-restore run (one process, not two per rule): per port a DNAT
   * from the host address(es) to the container, forwarding to it, and the hairpin masquerade.
   * The rules are new (an owner's old ones are unpublished first), so they are not looked up.
   */
  async publishAll(ps: readonly PortMapping[]): Promise<void> {
    const nat: string[] = [];
    const filter: string[] = [];
    for (const p of ps) {
      if (!Number.isInteger(p.hostPort) || p.hostPort < 1 || p.hostPort > 65535) throw invalidArgument(`publish: invalid host port ${p.hostPort}`);
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) throw invalidArgument(`publish: invalid container port ${p.containerPort}`);
      ipToInt(p.containerIp);
      if (p.hostIp && p.hostIp !== '0.0.0.0') ipToInt(p.hostIp);
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(p.bridge) || !/^[A-Za-z0-9_.:-]+$/.test(p.owner)) throw invalidArgument(`publish: invalid bridge or owner`);
      const tag = comment(`ctr:${p.owner}`).join(' ');
      const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? ` -d ${p.hostIp}/32` : '';
      const m = `-p ${p.proto} -m ${p.proto}`;
      nat.push(`-A ${this.dnatChain} ! -i ${p.bridge}${dst} ${m} --dport ${p.hostPort} ${tag} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`);
      filter.push(`-I ${this.forwardChain} -d ${p.containerIp}/32 ! -i ${p.bridge} -o ${p.bridge} ${m} --dport ${p.containerPort} ${tag} -j ACCEPT`);
      // a container reaching its own published port through the host (hairpin)
      nat.push(`-A ${this.postroutingChain} -s ${p.containerIp}/32 -d ${p.containerIp}/32 ${m} --dport ${p.containerPort} ${tag} -j MASQUERADE`);
    }
    await this.serial(() => iptablesBatch({ nat, filter }));
  }

  /** Removes every published-port rule of `owner`. */
  async unpublish(owner: string): Promise<void> {
    await this.deleteTagged(`ctr:${owner}`);
  }

  /**
   * The owners (container ids) that have published-port rules, so a restarted daemon can
   * unpublish those of containers that are gone.
   */
  async publishedOwners(): Promise<string[]> {
    const owners = new Set<string>();
    for (const [table, chain] of [['nat', this.dnatChain], ['filter', this.forwardChain]] as const) {
      for (const line of await listRules(table, chain)) {
        const tag = argAfter(splitRule(line), '--comment');
        if (tag?.startsWith('berth:ctr:')) owners.add(tag.slice('berth:ctr:'.length));
      }
    }
    return [...owners].sort();
  }

  /**
   * Deletes the rules tagged `berth:<tag>` in Berth's chains: one iptables-save to find them and
   * one iptables-restore to delete them all.
   */
  private deleteTagged(tag: string): Promise<void> {
    return this.serial(() => this.deleteTaggedNow(tag));
  }

  private async deleteTaggedNow(tag: string): Promise<void> {
    const ours = new Set([this.dnatChain, this.postroutingChain, this.forwardChain]);
    const dump = await iptablesDump();
    const del: Partial<Record<IptablesTable, string[]>> = {};
    for (const table of ['nat', 'filter'] as const) {
      for (const line of dump.rules[table] ?? []) {
        const args = splitRule(line);
        if (!ours.has(args[1] ?? '') || argAfter(args, '--comment') !== `berth:${tag}`) continue;
        (del[table] ??= []).push(`-D${line.slice(2)}`);
      }
    }
    try {
      await iptablesBatch(del);
    } catch {
      // one of them went meanwhile: delete what is left one by one
      for (const [table, lines] of Object.entries(del) as [IptablesTable, string[]][]) {
        for (const line of lines) await iptables(table, ['-D', ...splitRule(line).slice(1)]).catch(() => undefined);
      }
    }
  }
}

function comment(tag: string): string[] {
  return ['-m', 'comment', '--comment', `berth:${tag}`];
}

function argAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
