import { isAlreadyExists, isNotFound } from '../lib/index.ts';
import { runCommand } from './command.ts';

/**
 * iptables wrappers (the nf_tables or legacy backend the host's `iptables` uses). `-w` waits for
 * the xtables lock, which other engines and tests on the host share.
 */
export type IptablesTable = 'filter' | 'nat' | 'mangle' | 'raw';

export async function iptables(table: IptablesTable, args: readonly string[]): Promise<string> {
  const { stdout } = await runCommand('iptables', ['-w', '-t', table, ...args], { action: `iptables -t ${table} ${args.join(' ')}` });
  return stdout;
}

export async function chainExists(table: IptablesTable, chain: string): Promise<boolean> {
  // `-S <chain>` cannot tell a missing chain apart: iptables-nft 1.8.9 calls it "incompatible".
  const lines = (await iptables(table, ['-S'])).split('\n');
  return lines.includes(`-N ${chain}`);
}

/** Creates `chain` if missing. */
export async function ensureChain(table: IptablesTable, chain: string): Promise<void> {
  try {
    await iptables(table, ['-N', chain]);
  } catch (err) {
    if (isAlreadyExists(err) || /chain already exists/i.test((err as Error).message)) return;
    throw err;
  }
}

export async function ruleExists(table: IptablesTable, chain: string, rule: readonly string[]): Promise<boolean> {
  try {
    await iptables(table, ['-C', chain, ...rule]);
    return true;
  } catch (err) {
    if (/bad rule|does a matching rule exist|no chain/i.test((err as Error).message)) return false;
    throw err;
  }
}

/** Appends (or, with `insert`, inserts first) a rule unless an identical one is there. */
export async function ensureRule(table: IptablesTable, chain: string, rule: readonly string[], options: { insert?: boolean } = {}): Promise<void> {
  if (await ruleExists(table, chain, rule)) return;
  await iptables(table, [options.insert ? '-I' : '-A', chain, ...rule]);
}

/** Deletes every copy of a rule; no error when there is none. */
export async function deleteRule(table: IptablesTable, chain: string, rule: readonly string[]): Promise<void> {
  while (await ruleExists(table, chain, rule)) await iptables(table, ['-D', chain, ...rule]);
}

/** The rules of a chain as `iptables -S` prints them ("-A CHAIN ..."), without the chain line. */
export async function listRules(table: IptablesTable, chain: string): Promise<string[]> {
  const out = await iptables(table, ['-S', chain]);
  return out.split('\n').filter((l) => l.startsWith('-A '));
}

/** Flushes and deletes a chain; no error when it does not exist. Jumps to it must be gone first. */
export async function deleteChain(table: IptablesTable, chain: string): Promise<void> {
  if (!(await chainExists(table, chain))) return;
  await iptables(table, ['-F', chain]);
  await iptables(table, ['-X', chain]);
}

/**
 * Splits a rule line of `iptables -S` into arguments, honouring double quotes
 * (`-m comment --comment "berth:c1"` → [..., 'berth:c1']).
 */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

/**
 * Applies a batch of rules in one `iptables-restore --noflush` run (the other rules and chains
 * stay): `lines` per table, each an `iptables -S` style line ("-A CHAIN ...", "-D CHAIN ...",
 * "-I CHAIN ..."). Each table's lines commit together or not at all.
 */
export async function iptablesBatch(lines: Partial<Record<IptablesTable, string[]>>): Promise<void> {
  let input = '';
  for (const [table, ls] of Object.entries(lines)) {
    if (!ls || ls.length === 0) continue;
    input += `*${table}\n${ls.join('\n')}\nCOMMIT\n`;
  }
  if (!input) return;
  await runCommand('iptables-restore', ['-w', '--noflush'], { action: 'iptables-restore', input });
}

/** Every table's chains and rules in one `iptables-save` run. */
export interface IptablesDump {
  /** table → chain names (built-in and user-defined). */
  chains: Partial<Record<IptablesTable, string[]>>;
  /** table → its "-A CHAIN ..." lines. */
  rules: Partial<Record<IptablesTable, string[]>>;
}

export async function iptablesDump(): Promise<IptablesDump> {
  const { stdout } = await runCommand('iptables-save', [], { action: 'iptables-save' });
  const out: IptablesDump = { chains: {}, rules: {} };
  let table: IptablesTable | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim() as IptablesTable;
    else if (table && line.startsWith(':')) (out.chains[table] ??= []).push(line.slice(1).split(' ')[0]!);
    else if (table && line.startsWith('-A ')) (out.rules[table] ??= []).push(line);
  }
  return out;
}

/**
 * A rule's identity regardless of the order iptables prints its parts in: the option groups
 * ("! -o br0", "-m comment", "--comment berth:x") sorted.
 */
export function ruleKey(args: readonly string[]): string {
  const groups: string[][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '!' || (a.startsWith('-') && args[i - 1] !== '!')) groups.push([a]);
    else if (groups.length > 0) groups.at(-1)!.push(a);
    else groups.push([a]);
  }
  return groups.map((g) => g.join(' ')).sort().join('|');
}

/** One argument as iptables-restore reads it (double-quoted when it holds blanks or quotes). */
export function restoreArg(a: string): string {
  return /[\s"']/.test(a) ? `"${a.replace(/(["\\])/g, '\\$1')}"` : a;
}
