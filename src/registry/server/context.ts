import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/index.ts';
import type { Route } from '../api/index.ts';
import type { RegistryStorage } from './storage/index.ts';

/** What a resource handler receives for one request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  route: Route;
  storage: RegistryStorage;
  logger: Logger;
  /** Whether DELETE of manifests, tags and blobs is allowed. */
  deleteEnabled: boolean;
}

/** Sends a JSON body with Content-Type and Content-Length (and no body for HEAD). */
export function sendJson(ctx: RequestContext, status: number, value: unknown, contentType = 'application/json'): void {
  const body = Buffer.from(JSON.stringify(value));
  ctx.res.statusCode = status;
  ctx.res.setHeader('Content-Type', contentType);
  ctx.res.setHeader('Content-Length', body.length);
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

/** Sends an empty response with the given headers. */
export function sendEmpty(ctx: RequestContext, status: number, headers: Record<string, string | number> = {}): void {
  ctx.res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
  if (status !== 204) ctx.res.setHeader('Content-Length', 0);
  ctx.res.end();
}

/** Reads a request body fully, refusing more than `limit` bytes (returns undefined then). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) over = true; // keep draining so the connection stays usable
    else chunks.push(chunk as Buffer);
  }
  return over ? undefined : Buffer.concat(chunks);
}

/** Parses the `n` and `last` pagination parameters. */
export function pageParams(url: URL): { n: number | undefined; last: string | undefined } {
  const nRaw = url.searchParams.get('n');
  let n: number | undefined;
  if (nRaw !== null && nRaw !== '') {
    n = Number(nRaw);
    if (!Number.isInteger(n) || n < 0) n = undefined;
    else n = Math.min(n, 10000);
  }
  const last = url.searchParams.get('last') ?? undefined;
  return { n, last: last === '' ? undefined : last };
}

/** Applies `last`/`n` to a sorted list; `next` is set when more entries remain. */
export function paginate(all: string[], n: number | undefined, last: string | undefined): { page: string[]; next?: string } {
  let rest = last === undefined ? all : all.filter((x) => x > last);
  if (n === undefined) return { page: rest };
  if (n === 0) return { page: [] };
  const page = rest.slice(0, n);
  rest = rest.slice(n);
  return rest.length > 0 && page.length > 0 ? { page, next: page[page.length - 1]! } : { page };
}
