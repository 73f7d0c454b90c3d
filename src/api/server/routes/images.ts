import { invalidArgument } from '../../../lib/index.ts';
import type { ImageBackend } from '../backend.ts';
import type { RequestContext } from '../context.ts';
import type { Router } from '../router.ts';

export const imageListFilters = ['before', 'dangling', 'label', 'reference', 'since', 'until'] as const;
export const imagePruneFilters = ['dangling', 'label', 'label!', 'until'] as const;

/** Decodes X-Registry-Auth (base64url JSON); an empty or "{}" header is no auth. */
export function decodeRegistryAuth(header: string | string[] | undefined): Record<string, unknown> | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && Object.keys(parsed).length > 0) return parsed as Record<string, unknown>;
    return undefined;
  } catch {
    throw invalidArgument('invalid X-Registry-Auth header: not base64url-encoded JSON');
  }
}

async function save(ctx: RequestContext, backend: ImageBackend, names: string[]): Promise<void> {
  if (names.length === 0) throw invalidArgument('save: no image names given');
  // Resolve every name first so a missing image is a clean 404, not a broken tar.
  for (const n of names) await backend.inspect(n);
  const out = ctx.stream('application/x-tar');
  await backend.save(names, out, ctx.signal);
  if (!out.writableEnded) out.end();
}

/** `/images/...` and `/commit`. */
export function registerImageRoutes(router: Router, backend: ImageBackend): void {
  router.get('/images/json', async (ctx) => {
    ctx.json(
      await backend.list({
        all: ctx.bool('all'),
        digests: ctx.bool('digests'),
        sharedSize: ctx.bool('shared-size'),
        filters: ctx.filters(imageListFilters),
      }),
    );
  });

  router.post('/images/create', async (ctx) => {
    const fromImage = ctx.string('fromImage');
    const fromSrc = ctx.string('fromSrc');
    const platform = ctx.string('platform');
    if (fromImage) {
      const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
      const tag = ctx.string('tag');
      const progress = ctx.ndjson();
      await backend.pull(
        {
          image: fromImage,
          ...(tag ? { tag } : {}),
          ...(platform ? { platform } : {}),
          ...(auth ? { auth } : {}),
          signal: ctx.signal,
        },
        progress,
      );
      progress.end();
      return;
    }
    if (fromSrc === undefined) throw invalidArgument('create image: either fromImage or fromSrc is required');
    let source: URL | ReturnType<RequestContext['bodyStream']>;
    if (fromSrc === '-') source = ctx.bodyStream();
    else {
      try {
        source = new URL(fromSrc);
      } catch {
        throw invalidArgument(`import: invalid source ${JSON.stringify(fromSrc)}: not "-" or a URL`);
      }
    }
    const repo = ctx.string('repo');
    const tag = ctx.string('tag');
    const message = ctx.string('message');
    const progress = ctx.ndjson();
    const id = await backend.importImage(
      {
        source,
        changes: ctx.query.getAll('changes').filter((c) => c !== ''),
        ...(repo ? { repo } : {}),
        ...(tag ? { tag } : {}),
        ...(message ? { message } : {}),
        ...(platform ? { platform } : {}),
      },
      progress,
      ctx.signal,
    );
    progress.write({ status: id });
    progress.end();
  });

  router.get('/images/get', (ctx) => save(ctx, backend, ctx.query.getAll('names')));

  router.post('/images/load', async (ctx) => {
    const quiet = ctx.bool('quiet');
    const input = ctx.bodyStream();
    const progress = ctx.ndjson();
    await backend.load(input, progress, { quiet, signal: ctx.signal });
    progress.end();
  });

  router.post('/images/prune', async (ctx) => ctx.json(await backend.prune(ctx.filters(imagePruneFilters))));

  router.post('/commit', async (ctx) => {
    const container = ctx.string('container');
    if (!container) throw invalidArgument('commit: the "container" parameter is required');
    const config = await ctx.body<Record<string, unknown>>();
    const repo = ctx.string('repo');
    const tag = ctx.string('tag');
    const comment = ctx.string('comment');
    const author = ctx.string('author');
    ctx.json(
      await backend.commit({
        container,
        pause: ctx.bool('pause', true),
        changes: ctx.query.getAll('changes').filter((c) => c !== ''),
        ...(repo ? { repo } : {}),
        ...(tag ? { tag } : {}),
        ...(comment ? { comment } : {}),
        ...(author ? { author } : {}),
        ...(config && typeof config === 'object' ? { config } : {}),
      }),
      201,
    );
  });

  router.get('/images/:name*/json', async (ctx) => ctx.json(await backend.inspect(ctx.param('name'))));
  router.get('/images/:name*/history', async (ctx) => ctx.json(await backend.history(ctx.param('name'))));
  router.get('/images/:name*/get', (ctx) => save(ctx, backend, [ctx.param('name')]));
  router.post('/images/:name*/tag', async (ctx) => {
    const repo = ctx.string('repo');
    if (!repo) throw invalidArgument('tag: the "repo" parameter is required');
    await backend.tag(ctx.param('name'), repo, ctx.string('tag') || undefined);
    ctx.status(201);
  });
  router.delete('/images/:name*', async (ctx) => {
    ctx.json(await backend.remove(ctx.param('name'), { force: ctx.bool('force'), noPrune: ctx.bool('noprune') }));
  });
}
