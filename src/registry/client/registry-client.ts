import type { ContentStore } from '../../content/index.ts';
import { notFound, nullLogger, type Digest, type Logger } from '../../lib/index.ts';
import { isIndexMediaType } from '../api/index.ts';
import { Authorizer } from './authorizer.ts';
import { DockerConfig, type Credentials } from './docker-config.ts';
import { apiHost, RegistryHosts, type RegistryHostsOptions } from './hosts.ts';
import type { ImageIndex } from './manifest-types.ts';
import { formatPlatform, hostPlatform, parsePlatform, selectPlatformManifest, type Platform } from './platform.ts';
import { pullImage, type PulledImage, type PullOptions } from './pull.ts';
import { pushImage, type PushOptions, type PushResult } from './push.ts';
import { parseReference, type ImageReference } from './reference.ts';
import { RemoteRepository, type FetchedManifest, type Session } from './remote-repository.ts';

export interface RegistryClientOptions extends RegistryHostsOptions {
  /** Where pulled blobs go and pushed blobs come from. */
  content: ContentStore;
  /** Credentials from a docker config.json (default ~/.docker); null for none. */
  dockerConfig?: DockerConfig | null;
  logger?: Logger;
  userAgent?: string;
}

/** Per-call options that may carry explicit credentials (X-Registry-Auth). */
export interface AuthOption {
  auth?: Credentials;
}

/**
 * The engine's registry client: resolves references, pulls into and pushes from the content
 * store, logs in. Tokens are cached per registry and scope for the client's lifetime; explicit
 * credentials (from X-Registry-Auth) get their own token cache.
 */
export class RegistryClient {
  readonly hosts: RegistryHosts;
  private readonly options: RegistryClientOptions;
  private readonly logger: Logger;
  private readonly dockerConfig: DockerConfig | null;
  private readonly sessions = new Map<string, Session>();

  constructor(options: RegistryClientOptions) {
    this.options = options;
    this.logger = options.logger ?? nullLogger;
    this.hosts = new RegistryHosts(options);
    this.dockerConfig = options.dockerConfig === undefined ? new DockerConfig() : options.dockerConfig;
  }

  private session(auth: Credentials | undefined): Session {
    const key = auth ? JSON.stringify(auth) : '';
    let s = this.sessions.get(key);
    if (!s) {
      const lookup = async (host: string): Promise<Credentials | undefined> => {
        if (auth) return auth;
        if (!this.dockerConfig) return undefined;
        const domain = host === apiHost('docker.io') ? 'docker.io' : host;
        return this.dockerConfig.get(domain);
      };
      s = { hosts: this.hosts, authorizer: new Authorizer(lookup, this.logger), logger: this.logger, userAgent: this.options.userAgent ?? 'berth/0.1' };
      this.sessions.set(key, s);
    }
    return s;
  }

  /** A repository handle (for tags, referrers, and lower-level calls). */
  repository(ref: ImageReference | string, options: AuthOption & { push?: boolean } = {}): RemoteRepository {
    const r = typeof ref === 'string' ? parseReference(ref) : ref;
    return new RemoteRepository(this.session(options.auth), r.domain, r.path, options.push ? { push: true } : {});
  }

  /**
   * Resolves a reference to its manifest; an index is followed to the platform's manifest
   * (`platform` default: this host) and both are returned.
   */
  async resolve(ref: string, options: AuthOption & { platform?: Platform | string } = {}): Promise<{ reference: ImageReference; top: FetchedManifest; manifest: FetchedManifest }> {
    const reference = parseReference(ref);
    const repo = this.repository(reference, options);
    const top = await repo.getManifest(reference.digest ?? reference.tag!);
    if (!isIndexMediaType(top.mediaType)) return { reference, top, manifest: top };
    const platform = typeof options.platform === 'string' ? parsePlatform(options.platform) : (options.platform ?? hostPlatform());
    const index = JSON.parse(top.body.toString('utf8')) as ImageIndex;
    const match = selectPlatformManifest(index.manifests, platform);
    if (!match) throw notFound(`no matching manifest for ${formatPlatform(platform)} in the manifest list entries`);
    return { reference, top, manifest: await repo.getManifest(match.digest) };
  }

  /** Pulls `ref` into the content store, streaming docker-style progress to `onProgress`. */
  async pull(ref: string, options: PullOptions & AuthOption = {}): Promise<PulledImage> {
    const reference = parseReference(ref);
    const repo = this.repository(reference, options);
    return pullImage(this.options.content, repo, reference, { logger: this.logger, ...options });
  }

  /** Pushes the manifest `options.manifest` from the content store as `ref`. */
  async push(ref: string, options: PushOptions & AuthOption): Promise<PushResult> {
    const reference = parseReference(ref);
    const repo = this.repository(reference, { ...options, push: true });
    return pushImage(this.options.content, repo, reference, { logger: this.logger, ...options });
  }

  /**
   * Checks credentials against a registry (GET /v2/ with its auth flow) and, when `store` is
   * not false, saves them in the docker config. Returns docker's status line.
   */
  async login(domain: string, creds: { username: string; password: string }, options: { store?: boolean } = {}): Promise<{ status: string }> {
    const d = domain.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const norm = d === 'index.docker.io' || d === 'registry-1.docker.io' ? 'docker.io' : d;
    // GET /v2/ with no repository scope, as docker login does
    const repo = new RemoteRepository(this.session({ username: creds.username, password: creds.password }), norm, 'library/hello-world', { scopes: [] });
    await repo.ping();
    if (options.store !== false && this.dockerConfig) await this.dockerConfig.store(norm, creds);
    return { status: 'Login Succeeded' };
  }

  async logout(domain: string): Promise<boolean> {
    if (!this.dockerConfig) return false;
    const d = domain.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    return this.dockerConfig.erase(d === 'index.docker.io' ? 'docker.io' : d);
  }

  /** Tags of a repository, following pagination. */
  async tags(repository: string, options: AuthOption = {}): Promise<string[]> {
    return this.repository(repository, options).tags();
  }

  /** Manifests whose subject is `digest` in the repository of `ref`. */
  async referrers(ref: string, digest: Digest, options: AuthOption & { artifactType?: string } = {}) {
    return this.repository(ref, options).referrers(digest, options.artifactType);
  }

  async close(): Promise<void> {
    await this.hosts.close();
  }
}
