import type { RequestContext } from '../context.ts';
import { sendJson } from '../context.ts';
import { registryError } from '../../api/index.ts';

/** GET /v2/: the API version check (auth has already run). */
export async function handleBase(ctx: RequestContext): Promise<void> {
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') throw registryError('UNSUPPORTED', `method ${ctx.req.method} not allowed on /v2/`);
  sendJson(ctx, 200, {});
}
