import { registryError, type SearchResponse } from '../../api/index.ts';
import { sendJson, type RequestContext } from '../context.ts';

/**
 * GET /v1/search?q=&n=&page=: docker's v1 index search over this registry's repositories. A
 * repository matches when its name contains `q` (case-insensitive; an empty q matches all);
 * there are no stars, descriptions, official or automated images here. `n` is the page size
 * (default 25, at most 100), `page` counts from 1.
 */
export async function handleSearch(ctx: RequestContext): Promise<void> {
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') throw registryError('UNSUPPORTED', `method ${ctx.req.method} not allowed on search`);
  const query = ctx.url.searchParams.get('q') ?? '';
  const int = (name: string, dflt: number, max: number): number => {
    const raw = ctx.url.searchParams.get(name);
    if (raw === null || raw === '') return dflt;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 1) throw registryError('UNSUPPORTED', `invalid ${name} ${JSON.stringify(raw)}: must be a positive integer`);
    return Math.min(v, max);
  };
  const pageSize = int('n', 25, 100);
  const page = int('page', 1, 100_000);
  const needle = query.toLowerCase();
  const names = (await ctx.storage.repositories()).filter((r) => r.toLowerCase().includes(needle));
  const body: SearchResponse = {
    num_pages: Math.max(1, Math.ceil(names.length / pageSize)),
    num_results: names.length,
    page,
    page_size: pageSize,
    query,
    results: names.slice((page - 1) * pageSize, page * pageSize).map((name) => ({ name, description: '', star_count: 0, is_official: false, is_automated: false })),
  };
  sendJson(ctx, 200, body);
}
