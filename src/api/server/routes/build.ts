import type { Readable } from 'node:stream';
import { invalidArgument } from '../../../lib/index.ts';
import type { RequestContext } from '../context.ts';
import type { Router } from '../router.ts';
import type { NdjsonWriter } from '../streams.ts';

/** What `/build` asks of the daemon (the legacy builder's options as docker sends them). */
export interface BuildRequest {
  /** The build context: a tar, plain or compressed. */
  context: Readable;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target: string | undefined;
  noCache: boolean;
  pull: boolean;
  quiet: boolean;
  networkMode: string | undefined;
  cacheFrom: string[];
  platform: string | undefined;
  signal: AbortSignal;
}

export interface BuildBackend {
  /** Builds, writing `{stream}`/`{aux}` messages to `progress`; returns the image ID. */
  build(request: BuildRequest, progress: NdjsonWriter): Promise<string>;
  /** Drops the build cache (`docker builder prune`). */
  prune(all: boolean): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }>;
}

function jsonParam<T>(ctx: RequestContext, name: string, fallback: T): T {
  const v = ctx.string(name);
  if (v === undefined || v === '') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw invalidArgument(`invalid value for "${name}": not JSON`);
  }
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`invalid value for "${name}": expected a JSON object`);
  const out: Record<string, string> = {};
  // A null build-arg value means "take it from the client's environment": the CLI resolves it.
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = String(v);
  return out;
}

/** `POST /build` and `POST /build/prune`. */
export function registerBuildRoutes(router: Router, backend: BuildBackend): void {
  router.post('/build', async (ctx) => {
    if (ctx.string('remote')) throw invalidArgument('build: a remote context is not supported: send the context as the request body');
    const version = ctx.string('version');
    if (version === '2') throw invalidArgument('build: BuildKit is not supported by this daemon: use the legacy builder (DOCKER_BUILDKIT=0)');
    const request: BuildRequest = {
      context: ctx.bodyStream(),
      dockerfile: ctx.string('dockerfile') || 'Dockerfile',
      tags: ctx.query.getAll('t').filter((t) => t !== ''),
      buildArgs: stringMap(jsonParam(ctx, 'buildargs', {}), 'buildargs'),
      labels: stringMap(jsonParam(ctx, 'labels', {}), 'labels'),
      target: ctx.string('target') || undefined,
      noCache: ctx.bool('nocache'),
      pull: ctx.bool('pull'),
      quiet: ctx.bool('q'),
      networkMode: ctx.string('networkmode') || undefined,
      cacheFrom: jsonParam<string[]>(ctx, 'cachefrom', []),
      platform: ctx.string('platform') || undefined,
      signal: ctx.signal,
    };
    const progress = ctx.ndjson();
    try {
      await backend.build(request, progress);
    } catch (err) {
      progress.error(err);
    }
    progress.end();
  });

  router.post('/build/prune', async (ctx) => {
    ctx.json(await backend.prune(ctx.bool('all')));
  });
}
