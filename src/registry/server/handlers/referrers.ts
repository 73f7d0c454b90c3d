import { isDigest } from '../../../lib/index.ts';
import { headers, mediaTypes, registryError } from '../../api/index.ts';
import { sendJson, type RequestContext } from '../context.ts';

/**
 * GET /v2/<name>/referrers/<digest>?artifactType=: an image index of the manifests whose subject
 * is <digest> (an empty one when there are none: never 404), filtered by artifactType when asked.
 */
export async function handleReferrers(ctx: RequestContext, name: string, digest: string): Promise<void> {
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') throw registryError('UNSUPPORTED', `method ${ctx.req.method} not allowed on referrers`);
  if (!isDigest(digest)) throw registryError('DIGEST_INVALID', `invalid digest ${JSON.stringify(digest)}`, { digest });
  let manifests = await ctx.storage.manifests.referrers(name, digest);
  const artifactType = ctx.url.searchParams.get('artifactType');
  if (artifactType) {
    manifests = manifests.filter((m) => m.artifactType === artifactType);
    ctx.res.setHeader(headers.filtersApplied, 'artifactType');
  }
  sendJson(ctx, 200, { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests }, mediaTypes.ociIndex);
}
