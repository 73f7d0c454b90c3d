import { invalidArgument } from '../lib/index.ts';

/** Where the daemon listens: a unix socket path, or a TCP host and port (TLS optional). */
export type DaemonAddress =
  | { kind: 'unix'; path: string; url: string }
  | { kind: 'tcp'; host: string; port: number; url: string };

export const defaultDaemonHost = 'unix:///run/berth/berth.sock';

/**
 * The daemon address in the order docker uses: the `-H` flag, then BERTH_HOST, then DOCKER_HOST,
 * then the default unix socket.
 */
export function resolveDaemonHost(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || defaultDaemonHost;
}

/** Parses `unix:///path`, `/path`, `tcp://host:port` (and `host:port`) into an address. */
export function parseDaemonHost(host: string): DaemonAddress {
  const h = host.trim();
  if (h.startsWith('unix://')) {
    const path = h.slice('unix://'.length);
    if (!path) throw invalidArgument(`parse daemon host "${host}": empty socket path`);
    return { kind: 'unix', path, url: h };
  }
  if (h.startsWith('/')) return { kind: 'unix', path: h, url: `unix://${h}` };
  let rest = h;
  if (rest.startsWith('tcp://')) rest = rest.slice('tcp://'.length);
  else if (rest.includes('://')) throw invalidArgument(`parse daemon host "${host}": unsupported protocol`);
  rest = rest.replace(/\/+$/, '');
  let hostname = rest;
  let port = 2376;
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(rest);
  if (!m) throw invalidArgument(`parse daemon host "${host}": invalid address`);
  hostname = (m[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
  if (m[2] !== undefined) port = Number(m[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw invalidArgument(`parse daemon host "${host}": invalid port`);
  }
  const shown = hostname.includes(':') ? `[${hostname}]` : hostname;
  return { kind: 'tcp', host: hostname, port, url: `tcp://${shown}:${port}` };
}
