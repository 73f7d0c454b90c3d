import { isNotFound } from '../lib/index.ts';
import { runCommand } from './command.ts';

/**
 * iproute2 wrappers for reading (links, addresses and routes, for tests and for picking a free
 * subnet); everything that changes links, addresses and routes is in netlink.ts and spawns
 * nothing. Commands for another network namespace run as `nsenter --net=<path> ip ...`
 * so any namespace file works (/proc/<pid>/ns/net, /run/netns/<name>, a bind mount of Berth's).
 */
export interface NetnsOption {
  /** Path of a network namespace file; absent: the host's namespace. */
  netns?: string;
}

function ip(args: string[], options: NetnsOption = {}, action?: string): Promise<{ stdout: string }> {
  const a = action ?? `ip ${args.join(' ')}`;
  if (options.netns) return runCommand('nsenter', [`--net=${options.netns}`, '--', 'ip', ...args], { action: a });
  return runCommand('ip', args, { action: a });
}

export interface LinkInfo {
  ifname: string;
  ifindex: number;
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  flags: string[];
  addrs: { family: string; local: string; prefixlen: number }[];
}

/** The link `name` with its addresses, or undefined when there is none. */
export async function getLink(name: string, options: NetnsOption = {}): Promise<LinkInfo | undefined> {
  try {
    const { stdout } = await ip(['-j', 'addr', 'show', 'dev', name], options);
    const [link] = JSON.parse(stdout) as Record<string, unknown>[];
    if (!link) return undefined;
    const info: LinkInfo = {
      ifname: String(link['ifname']),
      ifindex: Number(link['ifindex']),
      mtu: Number(link['mtu']),
      operstate: String(link['operstate']),
      flags: (link['flags'] as string[] | undefined) ?? [],
      addrs: ((link['addr_info'] as Record<string, unknown>[] | undefined) ?? []).map((a) => ({
        family: String(a['family']),
        local: String(a['local']),
        prefixlen: Number(a['prefixlen']),
      })),
    };
    if (typeof link['address'] === 'string') info.address = link['address'];
    if (typeof link['master'] === 'string') info.master = link['master'];
    return info;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Names of every link in the namespace. */
export async function listLinks(options: NetnsOption = {}): Promise<string[]> {
  const { stdout } = await ip(['-j', 'link', 'show'], options);
  return (JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname);
}

/** The routes of the namespace (`ip -j route`). */
export async function listRoutes(options: NetnsOption = {}): Promise<{ dst: string; gateway?: string; dev?: string }[]> {
  const { stdout } = await ip(['-j', 'route', 'show'], options);
  return JSON.parse(stdout) as { dst: string; gateway?: string; dev?: string }[];
}
