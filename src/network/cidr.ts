import { invalidArgument } from '../lib/index.ts';

/** An IPv4 subnet: network address and prefix length, as 32-bit unsigned numbers. */
export interface Ipv4Subnet {
  network: number;
  prefix: number;
}

/** "10.1.2.3" → 0x0a010203; throws invalid-argument for anything else. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw invalidArgument(`invalid IPv4 address ${JSON.stringify(ip)}`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "172.18.0.0/16"; the address must be the network address (no host bits). */
export function parseSubnet(cidr: string, options: { strict?: boolean } = {}): Ipv4Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m || Number(m[2]) > 32) throw invalidArgument(`invalid subnet ${JSON.stringify(cidr)}: want a.b.c.d/n`);
  const prefix = Number(m[2]);
  const addr = ipToInt(m[1]!);
  const network = (addr & maskOf(prefix)) >>> 0;
  if ((options.strict ?? true) && network !== addr) {
    throw invalidArgument(`invalid subnet ${JSON.stringify(cidr)}: host bits set (network is ${intToIp(network)}/${prefix})`);
  }
  return { network, prefix };
}

export function formatSubnet(s: Ipv4Subnet): string {
  return `${intToIp(s.network)}/${s.prefix}`;
}

export function subnetContains(s: Ipv4Subnet, ip: string | number): boolean {
  const n = typeof ip === 'string' ? ipToInt(ip) : ip;
  return ((n & maskOf(s.prefix)) >>> 0) === s.network;
}

export function broadcastOf(s: Ipv4Subnet): number {
  return (s.network | (~maskOf(s.prefix) >>> 0)) >>> 0;
}

export function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.network & maskOf(p)) >>> 0) === ((b.network & maskOf(p)) >>> 0);
}

/** The first usable host of a subnet (the default gateway, as docker picks it). */
export function firstHost(s: Ipv4Subnet): string {
  return intToIp(s.prefix >= 31 ? s.network : s.network + 1);
}

/** Docker's MAC for a container address: 02:42 followed by the four address bytes. */
export function macForIp(ip: string): string {
  const n = ipToInt(ip);
  return ['02', '42', ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
