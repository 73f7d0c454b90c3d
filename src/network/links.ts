/**
 * docker's legacy container links (`--link target[:alias]` on the default bridge): the
 * environment a linking container gets about each target, laid out as docker does.
 */

export interface LinkTarget {
  /** The link's name, "/<linking container>/<alias>" (docker's `<ALIAS>_NAME`). */
  name: string;
  /** The target's address on the shared network. */
  ip: string;
  /** The target's exposed ports, "80/tcp" (no protocol: tcp). */
  ports: string[];
  /** The target's own environment, "KEY=value" (HOME and PATH are left out). */
  env: string[];
}

interface Port {
  port: number;
  proto: string;
}

function parsePort(p: string): Port | undefined {
  const [num = '', proto = 'tcp'] = p.split('/');
  const port = Number(num);
  return Number.isInteger(port) && port > 0 && port < 65536 ? { port, proto: proto.toLowerCase() } : undefined;
}

/** Index of the last port of the run of consecutive numbers starting at `index` (docker's nextContiguous). */
function runEnd(ports: Port[], index: number): number {
  let value = ports[index]!.port;
  for (let i = index + 1; i < ports.length; i++) {
    if (ports[i]!.port > value + 1) return i - 1;
    value++;
  }
  return ports.length - 1;
}

/**
 * The variables docker sets for one link: `<ALIAS>_PORT` (the lowest port), per port
 * `<ALIAS>_PORT_<n>_<PROTO>` with `_ADDR`, `_PORT`, `_PROTO`, runs of consecutive ports as
 * `_START`/`_END`, `<ALIAS>_NAME`, and the target's environment as `<ALIAS>_ENV_<KEY>`.
 */
export function linkEnv(link: LinkTarget): string[] {
  const alias = (link.name.split('/').pop() ?? '').toUpperCase().replaceAll('-', '_');
  const ports = link.ports
    .map(parsePort)
    .filter((p): p is Port => p !== undefined)
    .sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
  const out: string[] = [];
  const first = ports[0];
  if (first) out.push(`${alias}_PORT=${first.proto}://${link.ip}:${first.port}`);
  for (let i = 0; i < ports.length; ) {
    const p = ports[i]!;
    const j = runEnd(ports, i);
    if (j <= i + 1) {
      i++;
      continue;
    }
    const q = ports[j]!;
    const key = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    out.push(`${key}_START=${p.proto}://${link.ip}:${p.port}`, `${key}_ADDR=${link.ip}`, `${key}_PROTO=${p.proto}`, `${key}_PORT_START=${p.port}`);
    out.push(`${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_END=${q.proto}://${link.ip}:${q.port}`, `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_PORT_END=${q.port}`);
    i = j + 1;
  }
  for (const p of ports) {
    const key = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    out.push(`${key}=${p.proto}://${link.ip}:${p.port}`, `${key}_ADDR=${link.ip}`, `${key}_PORT=${p.port}`, `${key}_PROTO=${p.proto}`);
  }
  out.push(`${alias}_NAME=${link.name}`);
  for (const v of link.env) {
    const i = v.indexOf('=');
    if (i <= 0) continue;
    const key = v.slice(0, i);
    if (key === 'HOME' || key === 'PATH') continue;
    out.push(`${alias}_ENV_${key}=${v.slice(i + 1)}`);
  }
  return out;
}

/** Splits a `--link` value "target[:alias]" (a leading "/" on either is dropped); the alias defaults to the target. */
export function parseLink(spec: string): { target: string; alias: string } {
  const i = spec.indexOf(':');
  const target = (i < 0 ? spec : spec.slice(0, i)).replace(/^\//, '');
  const rawAlias = i < 0 ? target : spec.slice(i + 1).replace(/^\//, '');
  // docker keeps the last path element of an alias given as "/parent/alias"
  const alias = rawAlias.split('/').pop() ?? '';
  return { target, alias: alias || target };
}
