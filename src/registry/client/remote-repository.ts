import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { digestAlgorithm, isDigest, messageOf, nullLogger, type Digest, type Logger } from '../../lib/index.ts';
import {
  bareMediaType,
  blobPath,
  headers as H,
  manifestMediaTypes,
  manifestPath,
  parseNextLink,
  parseRegistryError,
  referrersPath,
  registryError,
  RegistryApiError,
  tagsPath,
  uploadsPath,
} from '../api/index.ts';
import type { Authorizer } from './authorizer.ts';
import type { Endpoint, RegistryHosts } from './hosts.ts';

/** The shared machinery a RemoteRepository sends requests with. */
export interface Session {
  hosts: RegistryHosts;
  authorizer: Authorizer;
  logger?: Logger;
  userAgent?: string;
}

type Body = Buffer | string | Readable | null;

interface SendOptions {
  headers?: Record<string, string>;
  /** A body, or a function making one (called again when the request is retried after a 401). */
  body?: Body | (() => Body | Promise<Body>);
  signal?: AbortSignal;
  extraScopes?: string[];
}

export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  body: Buffer;
}

/** Limit on a manifest's size when reading it. */
const maxManifestBytes = 8 * 1024 * 1024;

/**
 * One repository on one registry (all its endpoints: mirrors for reads, then the origin), speaking
 * the distribution protocol with auth. Errors are RegistryApiError (a BerthError).
 */
export class RemoteRepository {
  readonly domain: string;
  readonly path: string;
  private readonly session: Session;
  private readonly logger: Logger;
  private readonly scopes: string[];
  private readonly pullEndpoints: Endpoint[];
  readonly origin: Endpoint;

  constructor(session: Session, domain: string, path: string, options: { push?: boolean; scopes?: string[] } = {}) {
    this.session = session;
    this.domain = domain;
    this.path = path;
    this.logger = session.logger ?? nullLogger;
    this.scopes = options.scopes ?? [`repository:${path}:${options.push ? 'pull,push' : 'pull'}`];
    this.pullEndpoints = session.hosts.endpoints(domain, { pull: true });
    this.origin = this.pullEndpoints[this.pullEndpoints.length - 1]!;
  }

  /** Sends one request to an endpoint, answering auth challenges once. 401 after that throws. */
  async send(ep: Endpoint, method: string, target: string, options: SendOptions = {}): Promise<Dispatcher.ResponseData> {
    const url = new URL(target, ep.baseUrl + '/');
    const sameOrigin = url.origin === new URL(ep.baseUrl).origin;
    const scopes = [...this.scopes, ...(options.extraScopes ?? [])];
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'user-agent': this.session.userAgent ?? 'berth', ...options.headers };
      const auth = sameOrigin ? await this.session.authorizer.header(ep.host, scopes) : undefined;
      if (auth) headers['authorization'] = auth;
      const body = typeof options.body === 'function' ? await options.body() : options.body;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body: body ?? null,
          ...(sameOrigin ? { dispatcher: ep.dispatcher } : {}),
          maxRedirections: method === 'GET' || method === 'HEAD' ? 5 : 0,
          ...(options.signal ? { signal: options.signal } : {}),
          headersTimeout: 60_000,
          bodyTimeout: 120_000,
        });
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw new RegistryApiError('UNAVAILABLE', `${method} ${url.href}: ${messageOf(err)}`, { cause: err });
      }
      if (res.statusCode === 401 && attempt === 0) {
        const retry = await this.session.authorizer.challenge(ep.host, scopes, header(res, 'www-authenticate'), auth);
        if (retry) {
          await res.body.dump();
          continue;
        }
      }
      if (res.statusCode === 401) throw await this.failure(res, `${method} ${url.pathname}`);
      return res;
    }
  }

  /** Reads an error response into a RegistryApiError. */
  async failure(res: Dispatcher.ResponseData, context: string): Promise<RegistryApiError> {
    const text = await res.body.text().catch(() => '');
    return parseRegistryError(res.statusCode, text, context);
  }

  /**
   * Runs a read against the mirrors then the origin: a mirror's network error, 404 or 5xx falls
   * through to the next endpoint; the origin's answer is final.
   */
  private async read<T>(what: string, fn: (ep: Endpoint) => Promise<T>): Promise<T> {
    let lastErr: unknown;
    for (const ep of this.pullEndpoints) {
      try {
        return await fn(ep);
      } catch (err) {
        lastErr = err;
        if (!ep.isMirror) break;
        this.logger.warn('mirror failed, trying next endpoint', { mirror: ep.baseUrl, what, error: messageOf(err) });
      }
    }
    throw lastErr;
  }

  /** GETs a manifest by tag or digest, verifying a digest reference. */
  async getManifest(reference: string, options: { accept?: readonly string[]; signal?: AbortSignal } = {}): Promise<FetchedManifest> {
    return this.read(`manifest ${reference}`, async (ep) => {
      const res = await this.send(ep, 'GET', manifestPath(this.path, reference), {
        headers: { accept: (options.accept ?? manifestMediaTypes).join(', ') },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (res.statusCode !== 200) throw await this.failure(res, `fetch manifest ${JSON.stringify(`${this.path}:${reference}`)}`);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res.body) {
        size += (c as Buffer).length;
        if (size > maxManifestBytes) {
          res.body.destroy();
          throw registryError('MANIFEST_INVALID', `manifest ${JSON.stringify(reference)} larger than ${maxManifestBytes} bytes`);
        }
        chunks.push(c as Buffer);
      }
      const body = Buffer.concat(chunks);
      const alg = isDigest(reference) ? digestAlgorithm(reference) : 'sha256';
      const digest: Digest = `${alg}:${createHash(alg).update(body).digest('hex')}`;
      if (isDigest(reference) && digest !== reference) {
        throw registryError('DIGEST_INVALID', `manifest ${JSON.stringify(reference)}: content digest is ${JSON.stringify(digest)}`);
      }
      let mediaType = bareMediaType(header(res, 'content-type'));
      try {
        const parsed = JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: unknown };
        if (parsed.mediaType) mediaType = parsed.mediaType;
        else if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') mediaType = parsed.manifests ? manifestMediaTypes[0] : manifestMediaTypes[2];
      } catch {
        throw registryError('MANIFEST_INVALID', `manifest ${JSON.stringify(reference)} is not JSON`);
      }
      return { digest, mediaType, body };
    });
  }

  /** HEAD of a manifest: its digest and media type, or undefined when unknown. */
  async headManifest(reference: string): Promise<{ digest: Digest; mediaType: string; size: number } | undefined> {
    return this.read(`manifest ${reference}`, async (ep) => {
      const res = await this.send(ep, 'HEAD', manifestPath(this.path, reference), { headers: { accept: manifestMediaTypes.join(', ') } });
      await res.body.dump();
      if (res.statusCode === 404) {
        if (ep.isMirror) throw registryError('MANIFEST_UNKNOWN');
        return undefined;
      }
      if (res.statusCode !== 200) throw parseRegistryError(res.statusCode, '', `head manifest ${JSON.stringify(reference)}`);
      const d = header(res, H.contentDigest);
      if (!d || !isDigest(d)) return undefined;
      return { digest: d, mediaType: bareMediaType(header(res, 'content-type')), size: Number(header(res, 'content-length') ?? 0) };
    });
  }

  /**
   * Opens a blob for reading from byte `offset` (HTTP Range). `partial` is false when the server
   * ignored the range and sends the whole blob.
   */
  async openBlob(digest: Digest, offset = 0, signal?: AbortSignal): Promise<{ body: Readable; partial: boolean; total: number | undefined }> {
    return this.read(`blob ${digest}`, async (ep) => {
      const res = await this.send(ep, 'GET', blobPath(this.path, digest), {
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        ...(signal ? { signal } : {}),
      });
      if (res.statusCode === 416 && offset > 0) {
        await res.body.dump();
        return this.openBlob(digest, 0, signal);
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) throw await this.failure(res, `fetch blob ${JSON.stringify(digest)}`);
      const partial = res.statusCode === 206;
      const cr = header(res, 'content-range')?.match(/\/([0-9]+)$/);
      const total = cr ? Number(cr[1]) : res.statusCode === 200 && header(res, 'content-length') ? Number(header(res, 'content-length')) : undefined;
      return { body: res.body, partial, total };
    });
  }

  /** Size of a blob in this repository (origin only), or undefined. */
  async headBlob(digest: Digest): Promise<number | undefined> {
    const res = await this.send(this.origin, 'HEAD', blobPath(this.path, digest));
    await res.body.dump();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw parseRegistryError(res.statusCode, '', `head blob ${JSON.stringify(digest)}`);
    return Number(header(res, 'content-length') ?? 0);
  }

  /** Tries a cross-repository mount; returns true when mounted, else the upload URL it started. */
  async mountBlob(digest: Digest, from: string): Promise<true | string> {
    const q = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.send(this.origin, 'POST', uploadsPath(this.path) + q, { headers: { 'content-length': '0' }, extraScopes: [`repository:${from}:pull`] });
    await res.body.dump().catch(() => undefined);
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202) return this.location(res);
    throw parseRegistryError(res.statusCode, '', `mount blob ${JSON.stringify(digest)} from ${JSON.stringify(from)}`);
  }

  /** POST /blobs/uploads/: starts an upload session; returns its (absolute) URL. */
  async startUpload(): Promise<string> {
    const res = await this.send(this.origin, 'POST', uploadsPath(this.path), { headers: { 'content-length': '0' } });
    if (res.statusCode !== 202) throw await this.failure(res, 'start blob upload');
    await res.body.dump();
    return this.location(res);
  }

  private location(res: Dispatcher.ResponseData): string {
    const loc = header(res, 'location');
    if (!loc) throw registryError('BLOB_UPLOAD_INVALID', 'upload response without Location');
    return new URL(loc, this.origin.baseUrl + '/').href;
  }

  /** PATCH one chunk at `start`; returns the next upload URL. 416 → RANGE_INVALID. */
  async uploadChunk(location: string, start: number, data: Buffer, signal?: AbortSignal): Promise<string> {
    const res = await this.send(this.origin, 'PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + data.length - 1}`, 'content-length': String(data.length) },
      body: data,
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode !== 202) throw await this.failure(res, 'upload chunk');
    await res.body.dump();
    return this.location(res);
  }

  /** GET on an upload URL: bytes the registry holds and the URL to continue with. */
  async uploadStatus(location: string): Promise<{ offset: number; location: string }> {
    const res = await this.send(this.origin, 'GET', location);
    await res.body.dump();
    if (res.statusCode !== 204) throw parseRegistryError(res.statusCode, '', 'upload status');
    const m = header(res, 'range')?.match(/^(?:bytes=)?0-([0-9]+)$/);
    const end = m ? Number(m[1]) : -1;
    // "0-0" is ambiguous (nothing or one byte): treat as nothing, re-sending one byte is harmless
    return { offset: end > 0 ? end + 1 : 0, location: header(res, 'location') ? this.location(res) : location };
  }

  /** PUT <location>?digest=: completes an upload, with the remaining bytes as body (may be empty). */
  async completeUpload(location: string, digest: Digest, body: Body | (() => Body | Promise<Body>), size: number, signal?: AbortSignal): Promise<void> {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    const res = await this.send(this.origin, 'PUT', u.href, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode !== 201) throw await this.failure(res, `complete upload of ${JSON.stringify(digest)}`);
    await res.body.dump();
  }

  /** DELETE on an upload URL (errors ignored, as the spec advises). */
  async cancelUpload(location: string): Promise<void> {
    try {
      const res = await this.send(this.origin, 'DELETE', location);
      await res.body.dump();
    } catch {
      // ignored
    }
  }

  /** PUT a manifest under a tag or its digest; returns the digest and OCI-Subject if any. */
  async putManifest(reference: string, mediaType: string, body: Buffer): Promise<{ digest: Digest; subject?: string }> {
    const res = await this.send(this.origin, 'PUT', manifestPath(this.path, reference), {
      headers: { 'content-type': mediaType },
      body,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await this.failure(res, `push manifest ${JSON.stringify(`${this.path}:${reference}`)}`);
    await res.body.dump();
    const digest: Digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const subject = header(res, H.subject);
    return subject ? { digest, subject } : { digest };
  }

  /** Every tag, following Link pagination. */
  async tags(options: { pageSize?: number } = {}): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = tagsPath(this.path) + (options.pageSize ? `?n=${options.pageSize}` : '');
    while (next) {
      const res = await this.send(this.origin, 'GET', next);
      if (res.statusCode !== 200) throw await this.failure(res, `list tags of ${JSON.stringify(this.path)}`);
      const body = (await res.body.json()) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      next = parseNextLink(header(res, 'link'));
    }
    return out;
  }

  /** The referrers index of a manifest (empty when none), filtered by artifactType if given. */
  async referrers(digest: Digest, artifactType?: string): Promise<{ manifests: Array<Record<string, unknown>>; filtered: boolean }> {
    const res = await this.send(this.origin, 'GET', referrersPath(this.path, digest) + (artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''));
    if (res.statusCode !== 200) throw await this.failure(res, `list referrers of ${JSON.stringify(digest)}`);
    const body = (await res.body.json()) as { manifests?: Array<Record<string, unknown>> };
    return { manifests: body.manifests ?? [], filtered: header(res, H.filtersApplied)?.includes('artifactType') ?? false };
  }

  /** GET /v2/ on the origin (with auth): proves credentials work. */
  async ping(): Promise<void> {
    const res = await this.send(this.origin, 'GET', '/v2/');
    if (res.statusCode !== 200) throw await this.failure(res, `check ${JSON.stringify(this.domain)}`);
    await res.body.dump();
  }
}

export function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
