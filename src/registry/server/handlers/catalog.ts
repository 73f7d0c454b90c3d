import { formatNextLink, registryError } from '../../api/index.ts';
import { pageParams, paginate, sendJson, type RequestContext } from '../context.ts';

/** GET /v2/_catalog?n=&last=: repository names, lexically ordered, with a Link to the next page. */
export async function handleCatalog(ctx: RequestContext): Promise<void> {
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') throw registryError('UNSUPPORTED', `method ${ctx.req.method} not allowed on the catalog`);
  const { n, last } = pageParams(ctx.url);
  const { page, next } = paginate(await ctx.storage.repositories(), n, last);
  if (next !== undefined) {
    ctx.res.setHeader('Link', formatNextLink(`/v2/_catalog?n=${n}&last=${encodeURIComponent(next)}`));
  }
  sendJson(ctx, 200, { repositories: page });
}
