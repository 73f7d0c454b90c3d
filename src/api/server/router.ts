import type { RequestContext } from './context.ts';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** A route handler: it answers through the context (ctx.json, ctx.ndjson, ctx.hijack ...). */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

/** Runs around every handler; call next() to go on. Errors thrown anywhere reach the server's edge. */
export type Middleware = (ctx: RequestContext, next: () => Promise<void>) => Promise<void>;

/** A path template segment: a literal, `:name` (one segment) or `:name*` (one or more, with slashes). */
type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'rest'; name: string };

interface Route {
  method: Method;
  template: string;
  segments: Segment[];
  handler: Handler;
  score: number;
}

export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  template: string;
}

/**
 * A small router for the Engine API. Templates look like `/containers/:id/json`; `:name*` takes one
 * or more segments so image references with slashes work (the image inspect template, with
 * `:name*` between `/images` and `/json`, matches `/images/localhost:5000/a/b:1/json`). When two templates match, the one with more literal
 * segments wins, then the one without a `*` parameter, then the first registered.
 * HEAD falls back to the GET route (node drops the body).
 */
export class Router {
  private readonly routes: Route[] = [];
  private readonly middleware: Middleware[] = [];

  use(mw: Middleware): this {
    this.middleware.push(mw);
    return this;
  }

  add(method: Method, template: string, handler: Handler): this {
    const segments = splitPath(template).map(parseSegment);
    const literals = segments.filter((s) => s.kind === 'literal').length;
    const rest = segments.some((s) => s.kind === 'rest');
    this.routes.push({ method, template, segments, handler, score: literals * 2 + (rest ? 0 : 1) });
    this.routes.sort((a, b) => b.score - a.score);
    return this;
  }

  get(t: string, h: Handler): this {
    return this.add('GET', t, h);
  }
  head(t: string, h: Handler): this {
    return this.add('HEAD', t, h);
  }
  post(t: string, h: Handler): this {
    return this.add('POST', t, h);
  }
  put(t: string, h: Handler): this {
    return this.add('PUT', t, h);
  }
  delete(t: string, h: Handler): this {
    return this.add('DELETE', t, h);
  }

  /** Finds the route for `method` and an unversioned `path`, or undefined. */
  match(method: string, path: string): RouteMatch | undefined {
    let parts: string[];
    try {
      parts = splitPath(path).map(decodeURIComponent);
    } catch {
      return undefined;
    }
    const found = this.find(method, parts) ?? (method === 'HEAD' ? this.find('GET', parts) : undefined);
    return found;
  }

  /** The middleware chain around `handler`. */
  compose(handler: Handler): Handler {
    const chain = this.middleware;
    return (ctx) => {
      const run = async (i: number): Promise<void> => {
        const mw = chain[i];
        if (mw) return mw(ctx, () => run(i + 1));
        return handler(ctx);
      };
      return run(0);
    };
  }

  /** Every registered `METHOD template`, for debugging and tests. */
  list(): string[] {
    return this.routes.map((r) => `${r.method} ${r.template}`);
  }

  private find(method: string, parts: string[]): RouteMatch | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      if (matchSegments(r.segments, 0, parts, 0, params)) return { handler: r.handler, params, template: r.template };
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

function parseSegment(s: string): Segment {
  if (s.startsWith(':') && s.endsWith('*')) return { kind: 'rest', name: s.slice(1, -1) };
  if (s.startsWith(':')) return { kind: 'param', name: s.slice(1) };
  return { kind: 'literal', value: s };
}

function matchSegments(segs: Segment[], si: number, parts: string[], pi: number, params: Record<string, string>): boolean {
  if (si === segs.length) return pi === parts.length;
  const seg = segs[si]!;
  if (pi >= parts.length) return false;
  if (seg.kind === 'literal') return seg.value === parts[pi] && matchSegments(segs, si + 1, parts, pi + 1, params);
  if (seg.kind === 'param') {
    params[seg.name] = parts[pi]!;
    return matchSegments(segs, si + 1, parts, pi + 1, params);
  }
  // A rest parameter: the longest run of segments that leaves a match for the remainder.
  const remaining = segs.length - si - 1;
  for (let end = parts.length - remaining; end > pi; end--) {
    if (matchSegments(segs, si + 1, parts, end, params)) {
      params[seg.name] = parts.slice(pi, end).join('/');
      return true;
    }
  }
  return false;
}
