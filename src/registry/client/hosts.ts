import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { dockerHubDomain } from './reference.ts';

/** One place to send requests for a registry domain: the origin or a mirror. */
export interface Endpoint {
  /** Base URL without trailing slash (https://registry-1.docker.io, http://127.0.0.1:5000). */
  baseUrl: string;
  /** host[:port], the key for credentials and tokens. */
  host: string;
  dispatcher: Dispatcher;
  isMirror: boolean;
}

export interface RegistryHostsOptions {
  /** Registries reached over plain HTTP (host[:port]); loopback addresses always are. */
  insecureRegistries?: string[];
  /** Mirrors per domain ("docker.io" → ["https://mirror.example"]) tried in order before the origin. */
  mirrors?: Record<string, string[]>;
  /** Directories holding <host>/ca.crt (docker's certs.d); default /etc/docker/certs.d and /etc/berth/certs.d. */
  certsDirs?: string[];
}

/** The host that serves a domain's API (Docker Hub's API is not on docker.io). */
export function apiHost(domain: string): string {
  return domain === dockerHubDomain ? 'registry-1.docker.io' : domain;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(h) || h === '::1';
}

/**
 * Decides scheme, TLS roots and mirrors per registry: HTTPS by default with the system CAs plus
 * certs.d/<host>/*.crt; plain HTTP for loopback and insecure registries unless certs.d has a CA
 * for them (then HTTPS with that CA).
 */
export class RegistryHosts {
  private readonly options: RegistryHostsOptions;
  private readonly dispatchers = new Map<string, Dispatcher>();

  constructor(options: RegistryHostsOptions = {}) {
    this.options = options;
  }

  /** Endpoints for `domain`: mirrors (pull only) in order, then the origin. */
  endpoints(domain: string, options: { pull: boolean }): Endpoint[] {
    const out: Endpoint[] = [];
    if (options.pull) {
      for (const m of this.options.mirrors?.[domain] ?? []) {
        const u = new URL(m.includes('://') ? m : `https://${m}`);
        out.push({ baseUrl: `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`, host: u.host, dispatcher: this.dispatcher(u.host, u.protocol === 'https:'), isMirror: true });
      }
    }
    const host = apiHost(domain);
    const tls = this.usesTls(host);
    out.push({ baseUrl: `${tls ? 'https' : 'http'}://${host}`, host, dispatcher: this.dispatcher(host, tls), isMirror: false });
    return out;
  }

  private caFiles(host: string): string[] {
    const dirs = this.options.certsDirs ?? ['/etc/docker/certs.d', '/etc/berth/certs.d'];
    const out: string[] = [];
    for (const d of dirs) {
      const dir = join(d, host.replace(/^\[|\]$/g, ''));
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (f.endsWith('.crt') && !f.endsWith('.cert')) out.push(join(dir, f));
    }
    return out;
  }

  usesTls(host: string): boolean {
    if (this.caFiles(host).length > 0) return true;
    if (isLoopback(host)) return false;
    return !(this.options.insecureRegistries ?? []).includes(host);
  }

  /** A connection pool per host (keep-alive), trusting that host's certs.d CAs. */
  dispatcher(host: string, tls: boolean): Dispatcher {
    const key = `${tls ? 'https' : 'http'}://${host}`;
    let d = this.dispatchers.get(key);
    if (!d) {
      const cas = tls ? this.caFiles(host).map((f) => readFileSync(f, 'utf8')) : [];
      d = new Agent({
        connections: 16,
        keepAliveTimeout: 30_000,
        ...(cas.length > 0 ? { connect: { ca: cas } } : {}),
      });
      this.dispatchers.set(key, d);
    }
    return d;
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((d) => d.close()));
    this.dispatchers.clear();
  }
}
