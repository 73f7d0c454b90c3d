import { invalidArgument } from '../lib/index.ts';
import { allocateHostPort, isHostPortFree } from '../network/index.ts';

/** One port to publish: docker's PortBindings entry, or an EXPOSEd port under `-P`. */
export interface PortRequest {
  /** "80/tcp", as the PortBindings key. */
  key: string;
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** "" for every address. */
  hostIp: string;
  /** Host port range to pick from; absent: a random free port. */
  hostPorts?: [number, number];
}

function splitKey(key: string): { port: number; proto: PortRequest['proto'] } {
  const [p = '', proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidArgument(`invalid port ${JSON.stringify(key)}`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw invalidArgument(`invalid protocol in port ${JSON.stringify(key)}`);
  return { port, proto };
}

function parseHostPorts(v: string): [number, number] | undefined {
  if (v === '') return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw invalidArgument(`invalid host port ${JSON.stringify(v)}`);
  return [lo, hi];
}

/** The ports a container publishes: its PortBindings, plus every other EXPOSEd port with `-P`. */
export function portRequests(
  bindings: Record<string, { hostIp: string; hostPort: string }[] | null>,
  publishAll: boolean,
  exposed: readonly string[],
): PortRequest[] {
  const out: PortRequest[] = [];
  const norm = (k: string) => (k.includes('/') ? k : `${k}/tcp`);
  for (const [rawKey, list] of Object.entries(bindings)) {
    const key = norm(rawKey);
    const { port, proto } = splitKey(key);
    for (const b of list ?? [{ hostIp: '', hostPort: '' }]) {
      const hostPorts = parseHostPorts(b.hostPort ?? '');
      out.push({ key, proto, containerPort: port, hostIp: b.hostIp ?? '', ...(hostPorts ? { hostPorts } : {}) });
    }
  }
  if (publishAll) {
    const bound = new Set(Object.keys(bindings).map(norm));
    for (const e of exposed) {
      const key = norm(e);
      if (bound.has(key)) continue;
      const { port, proto } = splitKey(key);
      out.push({ key, proto, containerPort: port, hostIp: '' });
    }
  }
  return out;
}

/**
 * The host port for a request: the one asked for, the first free one of a range, or one the
 * kernel picks. `taken` holds "proto/port" of ports this daemon already published.
 */
export async function chooseHostPort(r: PortRequest, taken: ReadonlySet<string>): Promise<number> {
  const ip = r.hostIp || '0.0.0.0';
  const proto = r.proto === 'udp' ? 'udp' : 'tcp';
  if (!r.hostPorts) {
    for (let i = 0; i < 16; i++) {
      const p = await allocateHostPort(proto, ip);
      if (!taken.has(`${r.proto}/${p}`)) return p;
    }
    throw invalidArgument(`publish ${r.key}: no free host port`);
  }
  const [lo, hi] = r.hostPorts;
  for (let p = lo; p <= hi; p++) {
    if (taken.has(`${r.proto}/${p}`)) continue;
    if (lo === hi || proto === 'udp' || (await isHostPortFree(p, ip))) return p;
  }
  throw invalidArgument(`Bind for ${ip}:${lo === hi ? lo : `${lo}-${hi}`} failed: port is already allocated`);
}
