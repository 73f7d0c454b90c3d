import { request, type Dispatcher } from 'undici';
import { messageOf, nullLogger, type Logger } from '../../lib/index.ts';
import { parseRegistryError, RegistryApiError } from '../api/index.ts';
import type { Credentials } from './docker-config.ts';

/** A parsed WWW-Authenticate challenge. */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="reg",scope="repository:a:pull"` (first challenge). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = header.trim().match(/^(\w+)\s*(.*)$/);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const p of m[2]!.matchAll(re)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Registry authentication per host: remembers the scheme a host challenged with, fetches bearer
 * tokens from its realm (anonymously, with Basic credentials, or with an identity token) per
 * scope, and caches them until they expire.
 */
export class Authorizer {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  /** Refresh tokens a token server rotated (its answer's `refresh_token`), per host and identity token given. */
  private readonly refreshed = new Map<string, string>();

  constructor(
    private readonly credentials: (host: string) => Promise<Credentials | undefined>,
    private readonly logger: Logger = nullLogger,
  ) {}

  private tokenKey(host: string, scopes: string[]): string {
    return `${host}|${[...scopes].sort().join(' ')}`;
  }

  /** The Authorization header to send to `host` for `scopes`, if one is known. */
  async header(host: string, scopes: string[]): Promise<string | undefined> {
    const ch = this.challenges.get(host);
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      const c = await this.credentials(host);
      return c?.username !== undefined ? `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}` : undefined;
    }
    const cached = this.tokens.get(this.tokenKey(host, scopes));
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const tok = await this.fetchToken(host, ch, scopes);
    return `Bearer ${tok.token}`;
  }

  /**
   * Handles a 401: records the challenge and returns true when a retry with new credentials can
   * succeed (false when the same credentials were already refused).
   */
  async challenge(host: string, scopes: string[], wwwAuthenticate: string | undefined, sent: string | undefined): Promise<boolean> {
    const ch = parseChallenge(wwwAuthenticate);
    if (!ch) return false;
    const prev = this.challenges.get(host);
    this.challenges.set(host, ch);
    if (ch.scheme === 'basic') {
      const c = await this.credentials(host);
      return c?.username !== undefined && !(prev?.scheme === 'basic' && sent?.startsWith('Basic '));
    }
    // A bearer token was refused: drop it and fetch a fresh one once (scope may have changed).
    if (sent?.startsWith('Bearer ')) {
      const key = this.tokenKey(host, scopes);
      const had = this.tokens.get(key);
      this.tokens.delete(key);
      if (had && `Bearer ${had.token}` === sent && ch.params['error'] !== 'insufficient_scope') return false;
    }
    return true;
  }

  private fetchToken(host: string, ch: Challenge, scopes: string[]): Promise<CachedToken> {
    const key = this.tokenKey(host, scopes);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.requestToken(host, ch, scopes).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async requestToken(host: string, ch: Challenge, scopes: string[]): Promise<CachedToken> {
    const realm = ch.params['realm'];
    if (!realm) throw new RegistryApiError('UNAUTHORIZED', `authenticate to ${JSON.stringify(host)}: bearer challenge without realm`);
    const creds = await this.credentials(host);
    if (creds?.registryToken) return { token: creds.registryToken, expiresAt: Date.now() + 3600_000 };
    const allScopes = [...new Set([...scopes, ...(ch.params['scope'] ? ch.params['scope'].split(' ') : [])])];
    const service = ch.params['service'];
    const basicGet = (): Promise<Dispatcher.ResponseData> => {
      const u = new URL(realm);
      if (service) u.searchParams.set('service', service);
      for (const s of allScopes) u.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds?.username !== undefined) {
        // with only an identity token, it stands in as the password (as registries that take
        // Basic for refresh tokens expect)
        const secret = creds.password ?? creds.identityToken ?? '';
        headers['authorization'] = `Basic ${Buffer.from(`${creds.username}:${secret}`).toString('base64')}`;
        u.searchParams.set('account', creds.username);
      }
      return request(u, { method: 'GET', headers, maxRedirections: 5 });
    };
    let res: Dispatcher.ResponseData;
    const refreshKey = creds?.identityToken ? `${host}|${creds.identityToken}` : undefined;
    try {
      if (creds?.identityToken) {
        // docker's OAuth2 token flow: POST the refresh token as a form; a token server without
        // it (404) gets the plain GET with Basic credentials instead
        const refresh = this.refreshed.get(refreshKey!) ?? creds.identityToken;
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, client_id: 'berth' });
        if (service) form.set('service', service);
        if (allScopes.length) form.set('scope', allScopes.join(' '));
        res = await request(realm, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        if (res.statusCode === 404) {
          await res.body.dump();
          this.logger.debug('token server has no OAuth2 POST, using GET', { host, realm });
          res = await basicGet();
        }
      } else {
        res = await basicGet();
      }
    } catch (err) {
      throw new RegistryApiError('UNAVAILABLE', `fetch token from ${JSON.stringify(realm)}: ${messageOf(err)}`, { cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      const e = parseRegistryError(res.statusCode, text, `fetch token from ${JSON.stringify(realm)}`);
      throw res.statusCode === 401 || res.statusCode === 403 ? new RegistryApiError(res.statusCode === 401 ? 'UNAUTHORIZED' : 'DENIED', e.message, { status: res.statusCode }) : e;
    }
    const body = JSON.parse(text) as { token?: string; access_token?: string; refresh_token?: string; expires_in?: number; issued_at?: string };
    if (refreshKey && typeof body.refresh_token === 'string' && body.refresh_token) this.refreshed.set(refreshKey, body.refresh_token);
    const token = body.access_token ?? body.token;
    if (!token) throw new RegistryApiError('UNAUTHORIZED', `fetch token from ${JSON.stringify(realm)}: no token in response`);
    const issued = body.issued_at ? Date.parse(body.issued_at) : Date.now();
    const ttl = Math.max(body.expires_in ?? 60, 60) * 1000;
    const t: CachedToken = { token, expiresAt: (Number.isNaN(issued) ? Date.now() : issued) + ttl - 5000 };
    this.tokens.set(this.tokenKey(host, scopes), t);
    this.logger.debug('registry token', { host, scopes, ttlSeconds: ttl / 1000 });
    return t;
  }
}
