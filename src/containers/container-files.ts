import { readFileSync } from 'node:fs';
import { replaceFileSync } from '../lib/index.ts';

/**
 * The files docker gives every container under containers/<id>/ and bind-mounts over
 * /etc/hostname, /etc/hosts and /etc/resolv.conf.
 */
export const defaultHosts = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** `--add-host name:ip` (also `name=ip`) as a hosts line; docker's `host-gateway` is not supported yet. */
export function extraHostLine(entry: string): string {
  const i = entry.search(/[:=]/);
  if (i <= 0) throw new Error(`invalid extra host: "${entry}"`);
  const name = entry.slice(0, i);
  let ip = entry.slice(i + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  return `${ip}\t${name}`;
}

export function hostsFile(options: { hostNetwork: boolean; hostHosts?: string; extraHosts: readonly string[] }): string {
  const base = options.hostNetwork && options.hostHosts !== undefined ? options.hostHosts.replace(/\n*$/, '').split('\n') : defaultHosts;
  return [...base, ...options.extraHosts.map(extraHostLine)].join('\n') + '\n';
}

const localNameserver = /^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1)\s*$/;

/**
 * resolv.conf as docker makes it: the host's, without loopback nameservers (unreachable from a
 * container network; Google's public servers when none remain), unless --dns/--dns-search/
 * --dns-option override parts of it. With the host's network the host's file is used as is.
 */
export function resolvConf(options: { hostNetwork: boolean; hostResolv: string; dns: readonly string[]; dnsSearch: readonly string[]; dnsOptions: readonly string[] }): string {
  const lines = options.hostResolv.split('\n');
  if (options.hostNetwork && !options.dns.length && !options.dnsSearch.length && !options.dnsOptions.length) {
    return options.hostResolv.endsWith('\n') ? options.hostResolv : options.hostResolv + '\n';
  }
  let nameservers = lines.filter((l) => /^\s*nameserver\s/.test(l) && !localNameserver.test(l)).map((l) => l.trim().split(/\s+/)[1]!);
  let search = lines.filter((l) => /^\s*(search|domain)\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  let opts = lines.filter((l) => /^\s*options\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  if (options.dns.length) nameservers = [...options.dns];
  if (!nameservers.length) nameservers = ['8.8.8.8', '8.8.4.4'];
  if (options.dnsSearch.length) search = options.dnsSearch.filter((s) => s !== '.');
  if (options.dnsOptions.length) opts = [...options.dnsOptions];
  const out = nameservers.map((n) => `nameserver ${n}`);
  if (search.length) out.push(`search ${search.join(' ')}`);
  if (opts.length) out.push(`options ${opts.join(' ')}`);
  return out.join('\n') + '\n';
}

export interface ContainerFilePaths {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export async function writeContainerFiles(
  paths: ContainerFilePaths,
  options: {
    hostname: string;
    domainname: string;
    hostNetwork: boolean;
    extraHosts: readonly string[];
    dns: readonly string[];
    dnsSearch: readonly string[];
    dnsOptions: readonly string[];
  },
): Promise<void> {
  // small host files, read synchronously (quicker than trips to the thread pool)
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const hostResolv = read('/etc/resolv.conf') ?? '';
  const hostHosts = options.hostNetwork ? read('/etc/hosts') : undefined;
  // derived files, written again whenever their inputs change: atomic, but not fsynced
  replaceFileSync(paths.hostname, options.hostname + '\n');
  replaceFileSync(
    paths.hosts,
    hostsFile({ hostNetwork: options.hostNetwork, ...(hostHosts === undefined ? {} : { hostHosts }), extraHosts: options.extraHosts }),
  );
  replaceFileSync(paths.resolvConf, resolvConf({ ...options, hostResolv }));
}
