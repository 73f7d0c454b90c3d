import type { Middleware } from './router.ts';
import { httpStatusOf } from './http-errors.ts';
import { messageOf } from '../../lib/index.ts';

/**
 * Logs one line per request when it ends: method, path, status, duration and the request id
 * (debug level; server errors at error level with their message). Errors pass through untouched:
 * they are translated to HTTP once, at the server's edge.
 */
export function requestLogger(): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const line = (status: number, err?: unknown) => {
      const fields = {
        method: ctx.req.method,
        path: ctx.req.url,
        status,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(err === undefined ? {} : { error: messageOf(err) }),
      };
      if (status >= 500) ctx.log.error('request failed', fields);
      else ctx.log.debug('request', fields);
    };
    try {
      await next();
    } catch (err) {
      line(httpStatusOf(err), err);
      throw err;
    }
    if (ctx.isHijacked) line(101);
    else if (ctx.res.writableFinished) line(ctx.res.statusCode);
    else ctx.res.once('finish', () => line(ctx.res.statusCode));
  };
}
