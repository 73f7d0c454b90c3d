import type { DistributionBackend, ImagePushOptions, ProgressSink } from '../api/server/index.ts';
import type { AuthConfig, AuthResponse, ImageSearchResult } from '../api/types/index.ts';
import type { ContentStore } from '../content/index.ts';
import { familiarName, leasedContent, parseNormalizedNamed, referenceName, type ImageRecord, type ImageStore, type LeaseManager } from '../images/index.ts';
import { berthError, isNotFound, messageOf, notFound, type Digest, type Logger } from '../lib/index.ts';
import { RegistryApiError, searchPath } from '../registry/api/index.ts';
import { dockerHubDomain, parseReference, pushImage, type RegistryClient } from '../registry/client/index.ts';
import { credentialsFrom } from './registry-pull.ts';

export interface DistributionDeps {
  client: RegistryClient;
  content: ContentStore;
  images: ImageStore;
  /** Holds every blob a push reads, so a GC during the push cannot remove one under it. */
  leases?: LeaseManager;
  log: Logger;
  onPushed?: (name: string) => void;
}

/** The local image records a push sends: one tag, or every tag of the repository. */
export function pushTargets(images: ImageStore, name: string, tag: string | undefined): ImageRecord[] {
  const ref = parseNormalizedNamed(name);
  const repo = referenceName(ref);
  const shown = (t?: string) => familiarName(ref) + (t ? `:${t}` : '');
  const wanted = tag ?? ref.tag;
  if (ref.digest) throw berthError('invalid-argument', `push ${JSON.stringify(name)}: cannot push a digest reference`);
  if (wanted) {
    const rec = images.find(`${repo}:${wanted}`);
    if (!rec) throw notFound(`An image does not exist locally with the tag: ${shown(wanted)}`);
    return [rec];
  }
  const all = images.list().filter((r) => r.name.startsWith(`${repo}:`) && !r.name.slice(repo.length + 1).includes('@'));
  if (all.length === 0) throw notFound(`An image does not exist locally with the tag: ${shown()}`);
  return all;
}

/**
 * `POST /images/{name}/push`, `POST /auth` and `GET /images/search` over the registry client:
 * push streams docker's progress (`The push refers to repository`, per-layer Preparing /
 * Waiting / Pushing / Pushed / Layer already exists / Mounted from, the closing
 * `<tag>: digest: … size: …` and its aux); auth checks credentials against the registry
 * without storing them; search lists a private registry's catalog filtered by the term.
 */
export class DaemonDistributionBackend implements DistributionBackend {
  constructor(private readonly deps: DistributionDeps) {}

  async preparePush(options: ImagePushOptions): Promise<(progress: ProgressSink) => Promise<void>> {
    const targets = pushTargets(this.deps.images, options.name, options.tag);
    const auth = credentialsFrom(options.auth);
    return async (progress) => {
      for (const rec of targets) {
        const run = async (leaseId: string | undefined) => {
          const leases = this.deps.leases;
          const store = leaseId && leases ? leasedContent(this.deps.content, leases, leaseId) : this.deps.content;
          const reference = parseReference(rec.name);
          // pushImage wraps its errors once as `push "name:tag": ...`
          await pushImage(store, this.deps.client.repository(reference, { push: true, ...(auth ? { auth } : {}) }), reference, {
            manifest: { digest: rec.target.digest as Digest, ...(rec.target.mediaType ? { mediaType: rec.target.mediaType } : {}) },
            onProgress: (m) => progress.write(m),
            signal: options.signal,
            logger: this.deps.log,
          });
        };
        if (this.deps.leases) await this.deps.leases.withLease((l) => run(l.id), { expiresInMs: 24 * 3600_000, labels: { 'berth.push': rec.name } });
        else await run(undefined);
        this.deps.onPushed?.(rec.name);
      }
    };
  }

  async auth(request: AuthConfig): Promise<AuthResponse> {
    const server = request.serveraddress || dockerHubDomain;
    if (!request.username || !request.password) {
      throw berthError('invalid-argument', `login ${JSON.stringify(server)}: username and password are required`);
    }
    try {
      const r = await this.deps.client.login(server, { username: request.username, password: request.password }, { store: false });
      return { Status: r.status };
    } catch (err) {
      if (err instanceof RegistryApiError && (err.status === 401 || err.status === 403)) {
        throw berthError('permission-denied', `login ${JSON.stringify(server)}: unauthorized: incorrect username or password`, err);
      }
      throw berthError(isNotFound(err) ? 'not-found' : 'unavailable', `login ${JSON.stringify(server)}: ${messageOf(err)}`, err);
    }
  }

  /**
   * docker's search: the v1 search API (`GET /v1/search?q=&n=`) of the index the term names
   * (`host/term` for a private registry, else Docker Hub's index.docker.io), then the filters
   * (`is-official`, `is-automated`, `stars`) applied here as dockerd does.
   */
  async search(term: string, options: { limit: number; filters?: Map<string, string[]>; auth?: Record<string, unknown>; signal: AbortSignal }): Promise<ImageSearchResult[]> {
    const what = `search ${JSON.stringify(term)}`;
    const { index, query } = splitSearchTerm(term);
    const filters = searchFilters(options.filters ?? new Map(), what);
    const hub = index === dockerHubDomain;
    const auth = credentialsFrom(options.auth);
    // a repository handle only for its endpoint and auth session (no repository scope is needed)
    const repo = this.deps.client.repository(`${hub ? dockerHubDomain : index}/search`, auth ? { auth } : {});
    const target = hub ? `https://index.docker.io${searchPath(query, options.limit)}` : searchPath(query, options.limit);
    let res;
    try {
      res = await repo.send(repo.origin, 'GET', target, { signal: options.signal });
    } catch (err) {
      if (err instanceof RegistryApiError && (err.status === 401 || err.status === 403)) throw berthError('permission-denied', `${what}: ${messageOf(err)}`, err);
      throw berthError('unavailable', `${what}: ${messageOf(err)}`, err);
    }
    if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 501) {
      await res.body.dump();
      throw berthError('not-implemented', `${what}: registry ${JSON.stringify(hub ? 'index.docker.io' : index)} does not support search (GET /v1/search answered ${res.statusCode})`);
    }
    if (res.statusCode !== 200) throw berthError('unavailable', `${what}: ${messageOf(await repo.failure(res, 'GET /v1/search'))}`);
    let body: { results?: unknown };
    try {
      body = (await res.body.json()) as { results?: unknown };
    } catch (err) {
      throw berthError('unavailable', `${what}: registry ${JSON.stringify(index)} sent an invalid search response`, err);
    }
    const results = Array.isArray(body.results) ? body.results : [];
    const out: ImageSearchResult[] = [];
    for (const r of results as Array<Record<string, unknown>>) {
      if (typeof r !== 'object' || r === null || typeof r['name'] !== 'string') continue;
      const item: ImageSearchResult = {
        // a private registry's names are shown with its host, so they can be pulled as printed
        name: hub ? r['name'] : `${index}/${r['name']}`,
        description: typeof r['description'] === 'string' ? r['description'] : '',
        star_count: typeof r['star_count'] === 'number' ? r['star_count'] : 0,
        is_official: r['is_official'] === true,
        is_automated: r['is_automated'] === true,
      };
      if (filters.official !== undefined && item.is_official !== filters.official) continue;
      if (filters.automated !== undefined && item.is_automated !== filters.automated) continue;
      if (filters.stars !== undefined && item.star_count < filters.stars) continue;
      out.push(item);
    }
    return out.slice(0, options.limit);
  }
}

/** Splits a search term as docker does: `host/rest` names a registry when host has a dot, a colon or is localhost. */
export function splitSearchTerm(term: string): { index: string; query: string } {
  const slash = term.indexOf('/');
  const first = slash < 0 ? '' : term.slice(0, slash);
  if (first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const index = first === 'index.docker.io' || first === 'registry-1.docker.io' ? dockerHubDomain : first;
    return { index, query: term.slice(slash + 1) };
  }
  return { index: dockerHubDomain, query: term };
}

/** docker's search filters: is-official and is-automated (true/false), stars (a minimum count). */
export function searchFilters(filters: Map<string, string[]>, what: string): { official?: boolean; automated?: boolean; stars?: number } {
  const out: { official?: boolean; automated?: boolean; stars?: number } = {};
  const bool = (key: string): boolean | undefined => {
    const vs = filters.get(key);
    if (!vs || vs.length === 0) return undefined;
    const v = vs[vs.length - 1]!.toLowerCase();
    if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') throw berthError('invalid-argument', `${what}: invalid filter '${key}=${vs[vs.length - 1]}'`);
    return v === 'true' || v === '1';
  };
  const official = bool('is-official');
  const automated = bool('is-automated');
  if (official !== undefined) out.official = official;
  if (automated !== undefined) out.automated = automated;
  for (const v of filters.get('stars') ?? []) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw berthError('invalid-argument', `${what}: invalid filter 'stars=${v}'`);
    out.stars = Math.max(out.stars ?? 0, n);
  }
  return out;
}
