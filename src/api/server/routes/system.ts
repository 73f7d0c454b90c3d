import type { SystemBackend } from '../backend.ts';
import type { Router } from '../router.ts';
import type { RequestContext } from '../context.ts';

const pingHeaders = {
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  'Builder-Version': '1',
};

function ping(ctx: RequestContext): void {
  if (ctx.req.method === 'HEAD') {
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0, ...pingHeaders });
    ctx.res.end();
    return;
  }
  ctx.text('OK', 200, pingHeaders);
}

/** `/_ping` (GET and HEAD), `/version`, `/info`, `/system/df`. */
export function registerSystemRoutes(router: Router, backend: SystemBackend): void {
  router.get('/_ping', ping);
  router.head('/_ping', ping);
  router.get('/version', (ctx) => ctx.json(backend.version()));
  router.get('/info', async (ctx) => ctx.json(await backend.info()));
  router.get('/system/df', async (ctx) => {
    const types = ctx.query.getAll('type');
    ctx.json(await backend.diskUsage({ types, signal: ctx.signal }));
  });
}
