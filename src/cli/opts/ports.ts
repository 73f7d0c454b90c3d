import type { PortBinding } from '../../api/types/index.ts';
import { UsageError } from '../parse/flags.ts';

export interface PublishedPorts {
  exposed: Record<string, object>;
  bindings: Record<string, PortBinding[]>;
}

function range(spec: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`invalid ${what} "${spec}"`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 0 || b > 65535 || b < a) throw new UsageError(`invalid ${what} "${spec}"`);
  return [a, b];
}

/**
 * Parses `-p` values as docker does: `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `127.0.0.1::80`,
 * `[::1]:8080:80`, ranges `8000-8001:80-81`. Adds to `into` (ExposedPorts and PortBindings).
 */
export function addPublish(spec: string, into: PublishedPorts): void {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new UsageError(`invalid proto: ${proto}`);
  }
  let ip = '';
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw new UsageError(`invalid publish opts format "${spec}"`);
    ip = rest.slice(1, end);
    rest = rest.slice(end + 1);
    if (!rest.startsWith(':')) throw new UsageError(`invalid publish opts format "${spec}"`);
    rest = rest.slice(1);
  }
  const parts = rest.split(':');
  let hostPart = '';
  let containerPart: string;
  if (parts.length === 1) containerPart = parts[0] as string;
  else if (parts.length === 2) [hostPart, containerPart] = parts as [string, string];
  else if (parts.length === 3 && !ip) [ip, hostPart, containerPart] = parts as [string, string, string];
  else throw new UsageError(`invalid publish opts format "${spec}"`);
  if (!containerPart) throw new UsageError(`no port specified: ${spec}<empty>`);
  const [cStart, cEnd] = range(containerPart, 'containerPort');
  let hStart = 0;
  let hEnd = 0;
  if (hostPart) [hStart, hEnd] = range(hostPart, 'hostPort');
  const count = cEnd - cStart + 1;
  if (hostPart && hEnd - hStart + 1 !== count && hStart === hEnd) {
    // A single host port for a range of container ports is an error in docker too.
    if (count > 1) throw new UsageError(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  } else if (hostPart && hEnd - hStart + 1 !== count) {
    throw new UsageError(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  }
  for (let i = 0; i < count; i++) {
    const key = `${cStart + i}/${proto}`;
    into.exposed[key] = {};
    const hostPort = hostPart ? String(hStart + i) : '';
    (into.bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
  }
}

/** `--expose 80` or `--expose 8000-8010/udp`. */
export function addExpose(spec: string, exposed: Record<string, object>): void {
  const [port, proto = 'tcp'] = spec.split('/') as [string, string?];
  const [a, b] = range(port, 'range format for --expose');
  for (let p = a; p <= b; p++) exposed[`${p}/${proto}`] = {};
}
