import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument, isLevel, type Level } from '../lib/index.ts';

/**
 * berthd's configuration: docker's daemon flags, optionally from a daemon.json
 * (`/etc/berth/daemon.json` by default, docker's key names). Flags win over the file.
 */
export interface DaemonConfig {
  /** Listen addresses: `unix:///path.sock`, `tcp://host:port` (TCP needs tlsverify). */
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: Level;
  /** Group owning the unix socket (name or gid); root when unset. */
  group?: string;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  storageDriver: string;
  /** Containers keep running while the daemon is down (always on in berth). */
  liveRestore: boolean;
  configFile?: string;
  /** Labels shown in `docker info`. */
  labels: string[];
  /** Default bridge interface (`--bridge`, default berth0; "none" disables it) and its address (`--bip`). */
  bridge?: string;
  bip?: string;
}

export const defaultDataRoot = '/var/lib/berth';
export const defaultExecRoot = '/run/berth';
export const defaultConfigFile = '/etc/berth/daemon.json';
export const socketName = 'berth.sock';

/** The default socket: `unix://<exec-root>/berth.sock`. */
export function defaultHost(execRoot: string): string {
  return `unix://${join(execRoot, socketName)}`;
}

type FlagValues = Partial<Record<string, string | string[] | boolean>>;

const valueFlags: Record<string, string> = {
  '-H': 'hosts',
  '--host': 'hosts',
  '--data-root': 'data-root',
  '-g': 'data-root',
  '--exec-root': 'exec-root',
  '-p': 'pidfile',
  '--pidfile': 'pidfile',
  '-l': 'log-level',
  '--log-level': 'log-level',
  '-G': 'group',
  '--group': 'group',
  '--config-file': 'config-file',
  '--tlscacert': 'tlscacert',
  '--tlscert': 'tlscert',
  '--tlskey': 'tlskey',
  '-s': 'storage-driver',
  '--storage-driver': 'storage-driver',
  '--label': 'labels',
  '-b': 'bridge',
  '--bridge': 'bridge',
  '--bip': 'bip',
};
const boolFlags: Record<string, string> = {
  '--tlsverify': 'tlsverify',
  '--tls': 'tls',
  '-D': 'debug',
  '--debug': 'debug',
  '--live-restore': 'live-restore',
};
const repeated = new Set(['hosts', 'labels']);

/** Parses berthd's argv (without node and script). `--help` / `--version` are reported, not handled. */
export function parseDaemonArgs(argv: string[]): { values: FlagValues; help: boolean; version: boolean } {
  const values: FlagValues = {};
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '-v' || arg === '--version') {
      version = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const bkey = boolFlags[flag];
    if (bkey) {
      values[bkey] = inline === undefined ? true : inline === 'true' || inline === '1';
      continue;
    }
    const key = valueFlags[flag];
    if (!key) throw invalidArgument(`unknown flag: ${flag}`);
    const v = inline ?? argv[++i];
    if (v === undefined) throw invalidArgument(`flag needs an argument: ${flag}`);
    if (repeated.has(key)) values[key] = [...((values[key] as string[] | undefined) ?? []), v];
    else values[key] = v;
  }
  return { values, help, version };
}

/** Reads daemon.json; a missing default file is fine, a missing explicit one is not. */
export function readConfigFile(path: string, explicit: boolean): FlagValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw invalidArgument(`read config file "${path}": ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`read config file "${path}": invalid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidArgument(`read config file "${path}": not a JSON object`);
  const known = new Set([...Object.values(valueFlags), ...Object.values(boolFlags), 'graph']);
  const out: FlagValues = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!known.has(k)) throw invalidArgument(`read config file "${path}": unknown option "${k}"`);
    if (typeof v === 'string' || typeof v === 'boolean') out[k === 'graph' ? 'data-root' : k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as string[];
    else throw invalidArgument(`read config file "${path}": invalid value for "${k}"`);
  }
  return out;
}

/** Flags over file over defaults, then checks: TCP only with TLS verification, a known log level. */
export function resolveDaemonConfig(argv: string[]): { config: DaemonConfig; help: boolean; version: boolean } {
  const { values: flags, help, version } = parseDaemonArgs(argv);
  const configFile = (flags['config-file'] as string | undefined) ?? defaultConfigFile;
  const file = readConfigFile(configFile, flags['config-file'] !== undefined);
  const get = (k: string) => flags[k] ?? file[k];
  const str = (k: string) => {
    const v = get(k);
    if (v !== undefined && typeof v !== 'string') throw invalidArgument(`invalid value for "${k}"`);
    return v;
  };
  const list = (k: string) => {
    const v = get(k);
    return v === undefined ? [] : Array.isArray(v) ? v : [String(v)];
  };
  const dataRoot = str('data-root') ?? defaultDataRoot;
  const execRoot = str('exec-root') ?? defaultExecRoot;
  const debug = get('debug') === true;
  const level = str('log-level') ?? (debug ? 'debug' : 'info');
  if (!isLevel(level)) throw invalidArgument(`invalid log level: "${level}"`);
  const storageDriver = str('storage-driver') ?? 'overlay2';
  if (storageDriver !== 'overlay2' && storageDriver !== 'overlay') {
    throw invalidArgument(`storage driver "${storageDriver}" is not supported: use overlay2`);
  }
  const hosts = list('hosts');
  const tlsVerify = get('tlsverify') === true;
  const config: DaemonConfig = {
    hosts: hosts.length ? hosts : [defaultHost(execRoot)],
    dataRoot,
    execRoot,
    pidfile: str('pidfile') ?? join(execRoot, 'berthd.pid'),
    logLevel: level,
    tlsVerify,
    storageDriver: 'overlay2',
    liveRestore: true,
    labels: list('labels'),
    ...(flags['config-file'] !== undefined ? { configFile } : {}),
  };
  const group = str('group');
  if (group) config.group = group;
  const bridge = str('bridge');
  if (bridge) config.bridge = bridge;
  const bip = str('bip');
  if (bip) config.bip = bip;
  for (const [k, field] of [['tlscacert', 'tlsCaCert'], ['tlscert', 'tlsCert'], ['tlskey', 'tlsKey']] as const) {
    const v = str(k);
    if (v) config[field] = v;
  }
  for (const h of config.hosts) {
    const addr = parseHost(h);
    if (addr.kind === 'tcp') {
      if (!tlsVerify || !config.tlsCaCert || !config.tlsCert || !config.tlsKey) {
        throw invalidArgument(`listen on "${h}": TCP needs --tlsverify with --tlscacert, --tlscert and --tlskey (berthd never serves the API unauthenticated)`);
      }
    }
  }
  return { config, help, version };
}

export type HostAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** `unix:///run/berth/berth.sock`, `/path.sock`, `tcp://0.0.0.0:2376`, `tcp://:2376`. */
export function parseHost(h: string): HostAddress {
  if (h.startsWith('unix://')) {
    const path = h.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalidArgument(`invalid host "${h}": the socket path must be absolute`);
    return { kind: 'unix', path };
  }
  if (h.startsWith('/')) return { kind: 'unix', path: h };
  if (h.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(h);
    if (!m) throw invalidArgument(`invalid host "${h}"`);
    const host = (m[1] || '0.0.0.0').replace(/^\[|\]$/g, '');
    return { kind: 'tcp', host, port: m[2] ? Number(m[2]) : 2376 };
  }
  throw invalidArgument(`invalid host "${h}": use unix:///path or tcp://host:port`);
}
