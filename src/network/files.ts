import { invalidArgument } from '../lib/index.ts';

export interface HostsOptions {
  hostname: string;
  /** Domain name: the entry becomes "<ip> <hostname>.<domain> <hostname>". */
  domainname?: string;
  /** The container's addresses on its networks (none for --network none). */
  addresses?: string[];
  /** Extra names for the container's own entry (network aliases). */
  aliases?: string[];
  /** --add-host entries "name:ip"; "host-gateway" as ip is replaced by `hostGatewayIp`. */
  extraHosts?: string[];
  hostGatewayIp?: string;
  /** Legacy links: the target's address and its names (alias, hostname, container name). */
  links?: { ip: string; names: string[] }[];
}

/** The container's /etc/hosts, laid out as docker writes it. */
export function renderHosts(o: HostsOptions): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const entry of o.extraHosts ?? []) {
    const i = entry.indexOf(':');
    const name = i > 0 ? entry.slice(0, i) : '';
    let ip = i > 0 ? entry.slice(i + 1) : '';
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (ip === 'host-gateway') {
      if (!o.hostGatewayIp) throw invalidArgument(`add-host ${JSON.stringify(entry)}: no host-gateway address on this network`);
      ip = o.hostGatewayIp;
    }
    if (name === '' || ip === '' || /\s/.test(name)) throw invalidArgument(`add-host ${JSON.stringify(entry)}: want "name:ip"`);
    lines.push(`${ip}\t${name}`);
  }
  for (const link of o.links ?? []) lines.push(`${link.ip}\t${link.names.filter((n, i, all) => n !== '' && all.indexOf(n) === i).join(' ')}`);
  const names = [o.domainname ? `${o.hostname}.${o.domainname}` : undefined, o.hostname, ...(o.aliases ?? [])].filter(
    (n, i, all): n is string => n !== undefined && n !== '' && all.indexOf(n) === i,
  );
  for (const ip of o.addresses ?? []) lines.push(`${ip}\t${names.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Parses resolv.conf: nameserver, search/domain and options lines (the last search/domain wins). */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

const isLocalhost = (ip: string) => ip.startsWith('127.') || ip === '::1';

export interface ResolvOptions {
  /** --dns: replaces the host's nameservers. */
  dns?: string[];
  /** --dns-search: replaces the search list ("." clears it). */
  dnsSearch?: string[];
  /** --dns-option: replaces the options. */
  dnsOptions?: string[];
  /**
   * The address of Berth's DNS server for user-defined networks (docker: 127.0.0.11): the file
   * then names only it, and `upstream` lists the servers it forwards to.
   */
  embeddedDns?: string;
}

/**
 * The container's /etc/resolv.conf from the host's, as docker does: localhost nameservers
 * cannot work from another network namespace and are dropped (Google's servers if none is
 * left); --dns, --dns-search and --dns-option replace their part.
 */
export function renderResolvConf(hostResolvConf: string, o: ResolvOptions = {}): { content: string; upstream: string[] } {
  const host = parseResolvConf(hostResolvConf);
  let upstream = o.dns && o.dns.length > 0 ? [...o.dns] : host.nameservers.filter((ip) => !isLocalhost(ip));
  if (upstream.length === 0) upstream = ['8.8.8.8', '8.8.4.4'];
  const search = o.dnsSearch && o.dnsSearch.length > 0 ? o.dnsSearch.filter((s) => s !== '.') : host.search;
  const options = o.dnsOptions && o.dnsOptions.length > 0 ? o.dnsOptions : host.options;
  const lines = (o.embeddedDns ? [o.embeddedDns] : upstream).map((ip) => `nameserver ${ip}`);
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  const opts = o.embeddedDns && !options.some((x) => x.startsWith('ndots:')) ? [...options, 'ndots:0'] : options;
  if (opts.length > 0) lines.push(`options ${opts.join(' ')}`);
  return { content: `${lines.join('\n')}\n`, upstream };
}
