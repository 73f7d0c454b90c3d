import { formatNextLink, registryError, tagsPath } from '../../api/index.ts';
import { pageParams, paginate, sendJson, type RequestContext } from '../context.ts';

/** GET /v2/<name>/tags/list?n=&last=: the repository's tags, lexically ordered, paginated. */
export async function handleTags(ctx: RequestContext, name: string): Promise<void> {
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') throw registryError('UNSUPPORTED', `method ${ctx.req.method} not allowed on tags`);
  const tags = (await ctx.storage.manifests.tags(name)).sort();
  if (tags.length === 0 && (await ctx.storage.manifests.revisions(name)).length === 0 && (await ctx.storage.blobs.linked(name)).length === 0) {
    throw registryError('NAME_UNKNOWN', `repository ${JSON.stringify(name)} not known to registry`, { name });
  }
  const { n, last } = pageParams(ctx.url);
  const { page, next } = paginate(tags, n, last);
  if (next !== undefined) ctx.res.setHeader('Link', formatNextLink(`${tagsPath(name)}?n=${n}&last=${encodeURIComponent(next)}`));
  sendJson(ctx, 200, { name, tags: page });
}
