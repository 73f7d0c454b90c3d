import { isDigest, type Digest } from '../../../lib/index.ts';
import { blobPath, headers, isRepositoryName, parseChunkRange, registryError, RegistryApiError, uploadPath } from '../../api/index.ts';
import { sendEmpty, type RequestContext } from '../context.ts';

/** `Range: 0-<last byte>` as distribution writes it (0-0 for an empty upload). */
function rangeHeader(size: number): string {
  return `0-${size > 0 ? size - 1 : 0}`;
}

function progressHeaders(name: string, id: string, size: number): Record<string, string> {
  return { Location: uploadPath(name, id), Range: rangeHeader(size), [headers.uploadUuid]: id, [headers.uploadSessionId]: id };
}

function completedHeaders(name: string, digest: string): Record<string, string> {
  return { Location: blobPath(name, digest), [headers.contentDigest]: digest };
}

function digestParam(ctx: RequestContext): Digest {
  const d = ctx.url.searchParams.getAll('digest')[0];
  if (d === undefined || !isDigest(d)) throw registryError('DIGEST_INVALID', d === undefined ? 'digest parameter missing' : `invalid digest ${JSON.stringify(d)}`, { digest: d ?? null });
  return d;
}

function contentLength(ctx: RequestContext): number | undefined {
  const v = ctx.req.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

/**
 * POST /v2/<name>/blobs/uploads/: starts an upload (202), or completes one in a single request
 * with ?digest= (201), or mounts a blob from another repository with ?mount=&from= (201; 202 and
 * a new upload when the blob is not there).
 */
export async function handleUploadStart(ctx: RequestContext, name: string): Promise<void> {
  if (ctx.req.method !== 'POST') throw registryError('UNSUPPORTED', `method ${ctx.req.method} not allowed on uploads`);
  const { storage, url } = ctx;
  const mount = url.searchParams.get('mount');
  const from = url.searchParams.get('from');
  if (mount && isDigest(mount)) {
    const mounted = await storage.lock.shared(async () => {
      const sources = from && isRepositoryName(from) ? [from] : [];
      for (const src of sources) {
        if ((await storage.blobs.isLinked(src, mount)) && (await storage.blobs.size(mount)) !== undefined) {
          await storage.blobs.link(name, mount);
          return true;
        }
      }
      return false;
    });
    if (mounted) {
      ctx.req.resume();
      sendEmpty(ctx, 201, completedHeaders(name, mount));
      return;
    }
  }
  if (url.searchParams.has('digest')) {
    const digest = digestParam(ctx);
    const expected = contentLength(ctx);
    await storage.lock.shared(async () => {
      const id = await storage.uploads.start(name);
      try {
        await storage.uploads.append(name, id, ctx.req);
      } catch (err) {
        await storage.uploads.cancel(name, id).catch(() => undefined);
        throw err;
      }
      await storage.uploads.complete(name, id, digest, expected);
    });
    sendEmpty(ctx, 201, completedHeaders(name, digest));
    return;
  }
  ctx.req.resume();
  const id = await storage.uploads.start(name);
  sendEmpty(ctx, 202, progressHeaders(name, id, 0));
}

/** GET (status) / PATCH (chunk) / PUT (complete) / DELETE (cancel) /v2/<name>/blobs/uploads/<id>. */
export async function handleUpload(ctx: RequestContext, name: string, id: string): Promise<void> {
  const { req, storage } = ctx;
  switch (req.method) {
    case 'GET': {
      const size = await storage.uploads.size(name, id);
      sendEmpty(ctx, 204, progressHeaders(name, id, size));
      return;
    }
    case 'PATCH': {
      const start = await chunkStart(ctx, name, id);
      const size = await withRangeHeaders(ctx, name, id, () => storage.uploads.append(name, id, req, start));
      sendEmpty(ctx, 202, progressHeaders(name, id, size));
      return;
    }
    case 'PUT': {
      const digest = digestParam(ctx);
      const hasBody = (contentLength(ctx) ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      const start = await chunkStart(ctx, name, id);
      if (hasBody) await withRangeHeaders(ctx, name, id, () => storage.uploads.append(name, id, req, start));
      else req.resume();
      await storage.lock.shared(() => storage.uploads.complete(name, id, digest));
      sendEmpty(ctx, 201, completedHeaders(name, digest));
      return;
    }
    case 'DELETE': {
      await storage.uploads.cancel(name, id);
      sendEmpty(ctx, 204);
      return;
    }
    default:
      throw registryError('UNSUPPORTED', `method ${req.method} not allowed on an upload`);
  }
}

/**
 * The chunk's first byte from Content-Range, checked against Content-Length; a malformed range
 * is a 416 like an out-of-order one.
 */
async function chunkStart(ctx: RequestContext, name: string, id: string): Promise<number | undefined> {
  const raw = ctx.req.headers['content-range'];
  if (raw === undefined) return undefined;
  const range = parseChunkRange(raw);
  const length = contentLength(ctx);
  if (!range || (length !== undefined && length !== range.end - range.start + 1)) {
    const size = await storage(ctx).uploads.size(name, id);
    ctx.req.resume();
    ctx.res.setHeader('Location', uploadPath(name, id));
    ctx.res.setHeader('Range', rangeHeader(size));
    ctx.res.setHeader(headers.uploadUuid, id);
    throw registryError('RANGE_INVALID', `invalid Content-Range ${JSON.stringify(raw)}`);
  }
  return range.start;
}

const storage = (ctx: RequestContext) => ctx.storage;

/** Runs an append; on an out-of-order chunk answers 416 with the upload's Location and Range. */
async function withRangeHeaders(ctx: RequestContext, name: string, id: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegistryApiError && err.ociCode === 'RANGE_INVALID') {
      ctx.req.resume();
      const size = (err.detail as { size?: number } | undefined)?.size ?? 0;
      ctx.res.setHeader('Location', uploadPath(name, id));
      ctx.res.setHeader('Range', rangeHeader(size));
      ctx.res.setHeader(headers.uploadUuid, id);
    }
    throw err;
  }
}
