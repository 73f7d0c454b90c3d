import type { AuthRequest, AuthResponse, DistributionBackend, ImagePushOptions, ImageSearchResult, ProgressSink } from '../api/server/index.ts';
import type { ContentStore } from '../content/index.ts';
import { familiarName, leasedContent, parseNormalizedNamed, referenceName, type ImageRecord, type ImageStore, type LeaseManager } from '../images/index.ts';
import { berthError, isNotFound, messageOf, notFound, type Digest, type Logger } from '../lib/index.ts';
import { RegistryApiError } from '../registry/api/index.ts';
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

  async auth(request: AuthRequest): Promise<AuthResponse> {
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

  async search(term: string, options: { limit: number; auth?: Record<string, unknown>; signal: AbortSignal }): Promise<ImageSearchResult[]> {
    const slash = term.indexOf('/');
    const first = slash < 0 ? '' : term.slice(0, slash);
    const isDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
    if (!isDomain || first === dockerHubDomain || first === 'index.docker.io') {
      throw berthError('not-implemented', `search ${JSON.stringify(term)}: Docker Hub search is not supported; search a private registry with "<registry>/<term>"`);
    }
    const needle = term.slice(slash + 1).toLowerCase();
    const auth = credentialsFrom(options.auth);
    const repo = this.deps.client.repository(`${first}/catalog`, auth ? { auth } : {});
    const res = await repo.send(repo.origin, 'GET', '/v2/_catalog?n=1000', { extraScopes: ['registry:catalog:*'], signal: options.signal });
    if (res.statusCode === 404 || res.statusCode === 405) {
      await res.body.dump();
      throw berthError('not-implemented', `search ${JSON.stringify(term)}: registry ${JSON.stringify(first)} does not support search (no catalog API)`);
    }
    if (res.statusCode !== 200) throw await repo.failure(res, `search ${JSON.stringify(term)}`);
    const body = (await res.body.json()) as { repositories?: unknown };
    const names = Array.isArray(body.repositories) ? body.repositories.filter((r): r is string => typeof r === 'string') : [];
    return names
      .filter((n) => n.toLowerCase().includes(needle))
      .slice(0, options.limit)
      .map((n) => ({ name: `${first}/${n}`, description: '', star_count: 0, is_official: false, is_automated: false }));
  }
}
