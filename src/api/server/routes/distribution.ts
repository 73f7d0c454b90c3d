import { invalidArgument } from '../../../lib/index.ts';
import type { AuthConfig, AuthResponse, ImageSearchResult } from '../../types/index.ts';
import type { ProgressSink } from '../backend.ts';
import type { Router } from '../router.ts';
import { decodeRegistryAuth } from './images.ts';

export interface ImagePushOptions {
  /** The repository (`127.0.0.1:5000/app`), or a full reference when `tag` is empty. */
  name: string;
  /** The tag to push; empty pushes every tag of the repository, as docker does. */
  tag?: string;
  /** The decoded X-Registry-Auth header, when the client sent one. */
  auth?: Record<string, unknown>;
  signal: AbortSignal;
}

/** The distribution side of the image port: push, registry login check, search. */
export interface DistributionBackend {
  /**
   * Checks that the image exists locally before any output is written (a missing image is a
   * plain 404), then returns the push, which streams docker's push progress to `progress`.
   */
  preparePush(options: ImagePushOptions): Promise<(progress: ProgressSink) => Promise<void>>;
  auth(request: AuthConfig): Promise<AuthResponse>;
  /** docker's search; `filters`: is-official, is-automated, stars (validated by the backend). */
  search(term: string, options: { limit: number; filters?: Map<string, string[]>; auth?: Record<string, unknown>; signal: AbortSignal }): Promise<ImageSearchResult[]>;
}

/** `POST /images/{name}/push`, `POST /auth`, `GET /images/search`. */
export function registerDistributionRoutes(router: Router, backend: DistributionBackend): void {
  router.post('/images/:name*/push', async (ctx) => {
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    const tag = ctx.string('tag');
    const push = await backend.preparePush({
      name: ctx.param('name'),
      ...(tag ? { tag } : {}),
      ...(auth ? { auth } : {}),
      signal: ctx.signal,
    });
    const progress = ctx.ndjson();
    await push(progress);
    progress.end();
  });

  router.post('/auth', async (ctx) => {
    const body = (await ctx.body<AuthConfig>()) ?? {};
    if (typeof body !== 'object') throw invalidArgument('auth: the request body must be a JSON object');
    ctx.json(await backend.auth(body));
  });

  router.get('/images/search', async (ctx) => {
    const term = ctx.string('term');
    if (!term) throw invalidArgument('search: the "term" parameter is required');
    const limitRaw = ctx.string('limit');
    const limit = limitRaw ? Number(limitRaw) : 25;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidArgument(`search: invalid limit ${JSON.stringify(limitRaw)}: must be between 1 and 100`);
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    const filters = ctx.filters(['is-official', 'is-automated', 'stars']);
    ctx.json(await backend.search(term, { limit, filters, signal: ctx.signal, ...(auth ? { auth } : {}) }));
  });
}
