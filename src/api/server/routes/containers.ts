import type { Duplex, Readable, Writable } from 'node:stream';
import { invalidArgument } from '../../../lib/index.ts';
import type {
  ContainerChange,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPathStat,
  ContainerPruneResponse,
  ContainerStatsWire,
  ContainerSummary,
  ContainerTopResponse,
  ContainerUpdateResponse,
  ContainerWaitResponse,
  ResourcesWire,
} from '../../types/index.ts';
import type { RequestContext } from '../context.ts';
import type { Filters } from '../filters.ts';
import type { Router } from '../router.ts';
import { StdStream, muxFrame } from '../streams.ts';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds. */
  time: string;
  line: Buffer;
}

export interface LogsOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Unix seconds (fractional), 0 = unbounded. */
  since: number;
  until: number;
  /** Negative = all. */
  tail: number;
  signal: AbortSignal;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Replay the log first. */
  logs: boolean;
  /** Stay attached to live output. */
  stream: boolean;
  detachKeys?: string;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** The container port the daemon implements (moby's router/container backend), in wire types. */
export interface ContainerBackend {
  list(options: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<ContainerSummary[]>;
  create(name: string | undefined, request: ContainerCreateRequest): Promise<ContainerCreateResponse>;
  inspect(ref: string, options: { size: boolean }): Promise<ContainerInspect>;
  start(ref: string): Promise<void>;
  stop(ref: string, options: { signal?: string; timeout?: number }): Promise<void>;
  restart(ref: string, options: { signal?: string; timeout?: number }): Promise<void>;
  kill(ref: string, signal: string | undefined): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  /**
   * Registers a waiter and returns at once (so the route can send the headers before the client
   * starts the container); `result` settles when the condition is met.
   */
  wait(ref: string, condition: WaitCondition, signal: AbortSignal): Promise<{ result: Promise<ContainerWaitResponse> }>;
  remove(ref: string, options: { force: boolean; volumes: boolean; link: boolean }): Promise<void>;
  rename(ref: string, name: string): Promise<void>;
  update(ref: string, resources: ResourcesWire): Promise<ContainerUpdateResponse>;
  top(ref: string, psArgs: string | undefined): Promise<ContainerTopResponse>;
  changes(ref: string): Promise<ContainerChange[]>;
  /**
   * Writes the container's filesystem as a tar to the output `open` returns; `open` is called on
   * the first byte, so a failure before it becomes an ordinary error answer.
   */
  export(ref: string, open: () => Writable, signal: AbortSignal): Promise<void>;
  stats(ref: string, options: { stream: boolean; oneShot: boolean; signal: AbortSignal }): AsyncIterable<ContainerStatsWire>;
  logs(ref: string, options: LogsOptions): Promise<{ tty: boolean; lines: AsyncIterable<LogLine> }>;
  /** Checks that attaching is possible; returns whether the container has a TTY. */
  prepareAttach(ref: string): Promise<{ tty: boolean }>;
  /** Serves an attach over a hijacked connection until it ends (the backend ends `conn`). */
  attach(ref: string, options: AttachOptions, conn: Duplex): Promise<void>;
  resize(ref: string, height: number, width: number): Promise<void>;
  statPath(ref: string, path: string): Promise<ContainerPathStat>;
  getArchive(ref: string, path: string): Promise<{ stat: ContainerPathStat; write: (out: Writable) => Promise<void> }>;
  putArchive(ref: string, path: string, input: Readable, options: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void>;
  prune(filters: Filters): Promise<ContainerPruneResponse>;
}

export const containerListFilters = [
  'ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network',
  'publish', 'since', 'status', 'volume',
] as const;

/** Docker's log timestamps: unix seconds with an optional fraction; '' or absent = 0. */
export function parseUnixSeconds(name: string, v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  if (!/^\d+(\.\d{1,9})?$/.test(v)) throw invalidArgument(`invalid value for "${name}": ${JSON.stringify(v)} is not a unix timestamp`);
  return Number(v);
}

function parseTail(v: string | undefined): number {
  if (v === undefined || v === '' || v === 'all') return -1;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for "tail": ${JSON.stringify(v)}`);
  return Number(v);
}

function stopOptions(ctx: RequestContext): { signal?: string; timeout?: number } {
  const out: { signal?: string; timeout?: number } = {};
  const signal = ctx.string('signal');
  if (signal) out.signal = signal;
  const t = ctx.int('t');
  if (t !== undefined) out.timeout = t;
  return out;
}

const multiplexed = 'application/vnd.docker.multiplexed-stream';
const raw = 'application/vnd.docker.raw-stream';

export function encodePathStat(stat: ContainerPathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/** `/containers/...`: the container resource (moby's api/server/router/container). */
export function registerContainerRoutes(router: Router, backend: ContainerBackend): void {
  router.get('/containers/json', async (ctx) => {
    const list = await backend.list({
      all: ctx.bool('all'),
      limit: ctx.int('limit', -1),
      size: ctx.bool('size'),
      filters: ctx.filters(containerListFilters),
    });
    ctx.json(list);
  });
  router.post('/containers/create', async (ctx) => {
    const body = (await ctx.body<ContainerCreateRequest>()) ?? {};
    const name = ctx.string('name');
    ctx.json(await backend.create(name || undefined, body), 201);
  });
  router.post('/containers/prune', async (ctx) => ctx.json(await backend.prune(ctx.filters(['until', 'label', 'label!']))));
  router.get('/containers/:id/json', async (ctx) => ctx.json(await backend.inspect(ctx.param('id'), { size: ctx.bool('size') })));
  router.post('/containers/:id/start', async (ctx) => {
    await backend.start(ctx.param('id'));
    ctx.status(204);
  });
  router.post('/containers/:id/stop', async (ctx) => {
    await backend.stop(ctx.param('id'), stopOptions(ctx));
    ctx.status(204);
  });
  router.post('/containers/:id/restart', async (ctx) => {
    await backend.restart(ctx.param('id'), stopOptions(ctx));
    ctx.status(204);
  });
  router.post('/containers/:id/kill', async (ctx) => {
    await backend.kill(ctx.param('id'), ctx.string('signal') || undefined);
    ctx.status(204);
  });
  router.post('/containers/:id/pause', async (ctx) => {
    await backend.pause(ctx.param('id'));
    ctx.status(204);
  });
  router.post('/containers/:id/unpause', async (ctx) => {
    await backend.unpause(ctx.param('id'));
    ctx.status(204);
  });
  router.post('/containers/:id/wait', async (ctx) => {
    const condition = (ctx.string('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
      throw invalidArgument(`invalid condition: "${condition}"`);
    }
    const { result } = await backend.wait(ctx.param('id'), condition, ctx.signal);
    // Headers go out now: the client knows the waiter is in place before it starts the container.
    const out = ctx.stream('application/json');
    try {
      const r = await result;
      out.end(JSON.stringify(r) + '\n');
    } catch (err) {
      out.end(JSON.stringify({ StatusCode: -1, Error: { Message: (err as Error).message } }) + '\n');
    }
  });
  router.delete('/containers/:id', async (ctx) => {
    await backend.remove(ctx.param('id'), { force: ctx.bool('force'), volumes: ctx.bool('v'), link: ctx.bool('link') });
    ctx.status(204);
  });
  router.post('/containers/:id/rename', async (ctx) => {
    const name = ctx.string('name');
    if (!name) throw invalidArgument('Neither old nor new names may be empty');
    await backend.rename(ctx.param('id'), name);
    ctx.status(204);
  });
  router.post('/containers/:id/update', async (ctx) => {
    ctx.json(await backend.update(ctx.param('id'), (await ctx.body<ResourcesWire>()) ?? {}));
  });
  router.get('/containers/:id/top', async (ctx) => ctx.json(await backend.top(ctx.param('id'), ctx.string('ps_args'))));
  router.get('/containers/:id/changes', async (ctx) => ctx.json(await backend.changes(ctx.param('id'))));
  router.get('/containers/:id/export', async (ctx) => {
    const id = ctx.param('id');
    await backend.inspect(id, { size: false });
    let out: Writable | undefined;
    await backend.export(id, () => (out ??= ctx.stream('application/x-tar')), ctx.signal);
    if (out && !out.writableEnded) out.end();
  });
  router.get('/containers/:id/stats', async (ctx) => {
    const stream = ctx.bool('stream', true);
    const oneShot = ctx.bool('one-shot');
    const id = ctx.param('id');
    await backend.inspect(id, { size: false });
    const out = ctx.stream('application/json');
    for await (const s of backend.stats(id, { stream, oneShot, signal: ctx.signal })) {
      if (out.destroyed) break;
      out.write(JSON.stringify(s) + '\n');
      if (!stream) break;
    }
    if (!out.writableEnded) out.end();
  });
  router.get('/containers/:id/logs', async (ctx) => {
    const stdout = ctx.bool('stdout');
    const stderr = ctx.bool('stderr');
    if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const timestamps = ctx.bool('timestamps');
    const { tty, lines } = await backend.logs(ctx.param('id'), {
      follow: ctx.bool('follow'),
      stdout,
      stderr,
      since: parseUnixSeconds('since', ctx.string('since')),
      until: parseUnixSeconds('until', ctx.string('until')),
      tail: parseTail(ctx.string('tail')),
      signal: ctx.signal,
    });
    const out = ctx.stream(tty ? raw : multiplexed);
    for await (const l of lines) {
      if (out.destroyed) break;
      const payload = timestamps ? Buffer.concat([Buffer.from(`${l.time} `), l.line]) : l.line;
      const ok = tty ? out.write(payload) : out.write(muxFrame(l.stream === 'stderr' ? StdStream.stderr : StdStream.stdout, payload));
      if (!ok && !out.destroyed) await new Promise((r) => out.once('drain', r));
    }
    if (!out.writableEnded) out.end();
  });
  router.post('/containers/:id/attach', async (ctx) => {
    const id = ctx.param('id');
    const { tty } = await backend.prepareAttach(id);
    const detachKeys = ctx.string('detachKeys');
    const options: AttachOptions = {
      stdin: ctx.bool('stdin'),
      stdout: ctx.bool('stdout'),
      stderr: ctx.bool('stderr'),
      logs: ctx.bool('logs'),
      stream: ctx.bool('stream'),
      ...(detachKeys ? { detachKeys } : {}),
    };
    const conn = ctx.hijack(tty ? raw : multiplexed);
    await backend.attach(id, options, conn);
  });
  router.post('/containers/:id/resize', async (ctx) => {
    await backend.resize(ctx.param('id'), ctx.int('h', 0), ctx.int('w', 0));
    ctx.status(200);
  });
  router.head('/containers/:id/archive', async (ctx) => {
    const stat = await backend.statPath(ctx.param('id'), requirePath(ctx));
    ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': encodePathStat(stat), 'Content-Type': 'application/json' });
    ctx.res.end();
  });
  router.get('/containers/:id/archive', async (ctx) => {
    const { stat, write } = await backend.getArchive(ctx.param('id'), requirePath(ctx));
    const out = ctx.stream('application/x-tar', 200, { 'X-Docker-Container-Path-Stat': encodePathStat(stat) });
    await write(out);
    if (!out.writableEnded) out.end();
  });
  router.put('/containers/:id/archive', async (ctx) => {
    await backend.putArchive(ctx.param('id'), requirePath(ctx), ctx.bodyStream(), {
      noOverwriteDirNonDir: ctx.bool('noOverwriteDirNonDir'),
      copyUIDGID: ctx.bool('copyUIDGID'),
    });
    ctx.status(200);
  });
}

function requirePath(ctx: RequestContext): string {
  const p = ctx.string('path');
  if (!p) throw invalidArgument('path parameter is required');
  return p;
}
