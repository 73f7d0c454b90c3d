import { headers, isManifestReference, manifestPath, registryError } from '../../api/index.ts';
import { readBody, sendEmpty, type RequestContext } from '../context.ts';
import { maxManifestSize } from '../storage/index.ts';

/** GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>. */
export async function handleManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  if (!isManifestReference(reference)) throw registryError('MANIFEST_INVALID', `invalid manifest reference ${JSON.stringify(reference)}`, { reference });
  const { req, res, storage } = ctx;
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const m = await storage.manifests.get(name, reference);
      res.statusCode = 200;
      res.setHeader('Content-Type', m.mediaType);
      res.setHeader('Content-Length', m.body.length);
      res.setHeader(headers.contentDigest, m.digest);
      res.setHeader('ETag', `"${m.digest}"`);
      res.end(req.method === 'HEAD' ? undefined : m.body);
      return;
    }
    case 'PUT': {
      const body = await readBody(req, maxManifestSize);
      if (!body) throw registryError('MANIFEST_TOO_LARGE', `manifest exceeds ${maxManifestSize} bytes`);
      const { digest, subject } = await storage.lock.shared(() => storage.manifests.put(name, reference, body, req.headers['content-type']));
      ctx.logger.info('manifest pushed', { repository: name, reference, digest });
      const h: Record<string, string> = { Location: manifestPath(name, digest), [headers.contentDigest]: digest };
      if (subject) h[headers.subject] = subject;
      sendEmpty(ctx, 201, h);
      return;
    }
    case 'DELETE': {
      if (!ctx.deleteEnabled) throw registryError('UNSUPPORTED', 'deletion is disabled on this registry');
      await storage.manifests.delete(name, reference);
      sendEmpty(ctx, 202);
      return;
    }
    default:
      throw registryError('UNSUPPORTED', `method ${req.method} not allowed on manifests`);
  }
}
