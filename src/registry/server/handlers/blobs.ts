import { pipeline } from 'node:stream/promises';
import { isDigest } from '../../../lib/index.ts';
import { headers, parseByteRange, registryError } from '../../api/index.ts';
import { sendEmpty, type RequestContext } from '../context.ts';

/** GET (with Range) / HEAD / DELETE /v2/<name>/blobs/<digest>. */
export async function handleBlob(ctx: RequestContext, name: string, digest: string): Promise<void> {
  if (!isDigest(digest)) throw registryError('DIGEST_INVALID', `invalid digest ${JSON.stringify(digest)}`, { digest });
  const { req, res, storage } = ctx;
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const size = await storage.blobs.statInRepo(name, digest);
      res.setHeader(headers.contentDigest, digest);
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('ETag', `"${digest}"`);
      res.setHeader('Cache-Control', 'max-age=31536000');
      res.setHeader('Content-Type', 'application/octet-stream');
      const range = parseByteRange(req.headers.range, size);
      if (range === 'unsatisfiable') {
        res.setHeader('Content-Range', `bytes */${size}`);
        throw registryError('RANGE_INVALID', `range ${JSON.stringify(req.headers.range)} not satisfiable for ${size} bytes`);
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? size - 1;
      res.statusCode = range ? 206 : 200;
      if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
      res.setHeader('Content-Length', size === 0 ? 0 : end - start + 1);
      if (req.method === 'HEAD' || size === 0) {
        res.end();
        return;
      }
      const stream = await storage.blobs.reader(digest, start, end);
      await pipeline(stream, res).catch((err: unknown) => {
        ctx.logger.debug('blob download interrupted', { repository: name, digest, error: err });
      });
      return;
    }
    case 'DELETE': {
      if (!ctx.deleteEnabled) throw registryError('UNSUPPORTED', 'deletion is disabled on this registry');
      await storage.blobs.unlink(name, digest);
      sendEmpty(ctx, 202);
      return;
    }
    default:
      throw registryError('UNSUPPORTED', `method ${req.method} not allowed on blobs`);
  }
}
