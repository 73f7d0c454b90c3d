import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { invalidArgument, type Logger } from '../../lib/index.ts';
import { compareApiVersions } from './api-version.ts';
import { parseFilters, type Filters } from './filters.ts';
import { NdjsonWriter } from './streams.ts';

/** Default limit of a JSON request body. Uploads (tar archives) are streamed, not limited. */
export const defaultJsonBodyLimit = 8 * 1024 * 1024;

export interface UpgradeSource {
  socket: Duplex;
  /** Bytes the client sent after the headers (the start of the body, then raw stream data). */
  head: Buffer;
}

export interface RequestContextOptions {
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: string;
  log: Logger;
  requestId: string;
  jsonBodyLimit?: number;
  /** Set for requests that arrived with `Connection: Upgrade` (node's 'upgrade' event). */
  upgrade?: UpgradeSource;
}

/**
 * Everything a handler needs for one request: path parameters, query helpers, the negotiated
 * API version, a request-scoped logger, an AbortSignal that fires when the client goes away, and
 * the ways to answer (json, empty status, a stream, ndjson progress, or a hijacked raw socket).
 */
export class RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly apiVersion: string;
  readonly log: Logger;
  readonly requestId: string;
  readonly signal: AbortSignal;
  private readonly abort = new AbortController();
  private readonly jsonBodyLimit: number;
  private readonly upgrade: UpgradeSource | undefined;
  private hijacked = false;
  private bodyRead = false;

  constructor(req: IncomingMessage, res: ServerResponse, options: RequestContextOptions) {
    this.req = req;
    this.res = res;
    this.params = options.params;
    this.query = options.query;
    this.apiVersion = options.apiVersion;
    this.log = options.log;
    this.requestId = options.requestId;
    this.jsonBodyLimit = options.jsonBodyLimit ?? defaultJsonBodyLimit;
    this.upgrade = options.upgrade;
    this.signal = this.abort.signal;
    const socket = options.upgrade?.socket ?? req.socket;
    const closed = () => this.abort.abort();
    socket.once('close', closed);
    const gone = () => {
      if (!res.writableFinished || this.hijacked) this.abort.abort();
      // a kept-alive connection outlives its requests; a hijacked one is this request's own
      if (!this.hijacked) socket.removeListener('close', closed);
    };
    res.on('close', gone);
  }

  /** The path parameter `name` (always present when the route declares it). */
  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw invalidArgument(`missing path parameter "${name}"`);
    return v;
  }

  /** A query string value, or undefined when absent. */
  string(name: string): string | undefined {
    return this.query.get(name) ?? undefined;
  }

  /** A boolean query parameter as docker reads them: "1", "true", "True" are true; absent is `fallback`. */
  bool(name: string, fallback = false): boolean {
    const v = this.query.get(name);
    if (v === null || v === '') return fallback;
    const l = v.toLowerCase();
    if (l === '1' || l === 'true') return true;
    if (l === '0' || l === 'false') return false;
    throw invalidArgument(`invalid value for "${name}": ${JSON.stringify(v)} is not a boolean`);
  }

  /** An integer query parameter; absent or empty is `fallback`. */
  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return fallback;
    if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for "${name}": ${JSON.stringify(v)} is not an integer`);
    return Number(v);
  }

  /** Docker's `filters` parameter; a name outside `allowed` is a 400 as in dockerd. */
  filters(allowed?: readonly string[]): Filters {
    return parseFilters(this.query.get('filters'), allowed);
  }

  /** True when the negotiated API version is at least `v` (for version-dependent shapes). */
  versionAtLeast(v: string): boolean {
    return compareApiVersions(this.apiVersion, v) >= 0;
  }

  /**
   * The JSON request body, or undefined when the body is empty. Refuses a non-JSON Content-Type,
   * bodies over the limit and malformed JSON, each with a clear invalid-argument (400).
   */
  async body<T>(): Promise<T | undefined> {
    const type = this.req.headers['content-type'];
    const raw = await this.readAll(this.jsonBodyLimit);
    if (raw.length === 0) return undefined;
    if (type && !/^application\/(.+\+)?json\b/i.test(type) && !/^text\/plain\b/i.test(type)) {
      throw invalidArgument(`unsupported Content-Type header (${type}): must be 'application/json'`);
    }
    try {
      return JSON.parse(raw.toString('utf8')) as T;
    } catch (err) {
      throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
    }
  }

  /** Like body(), but an empty body is a 400. */
  async requireBody<T>(): Promise<T> {
    const b = await this.body<T>();
    if (b === undefined || b === null) throw invalidArgument('invalid JSON: request body is required');
    return b;
  }

  /** The request body as a stream (tar uploads: load, import, archive PUT). Not for upgraded requests. */
  bodyStream(): Readable {
    if (this.upgrade) throw invalidArgument('a streamed body is not supported on an upgraded connection');
    this.bodyRead = true;
    return this.req;
  }

  /** Sends `body` as JSON with `status` (default 200). */
  json(body: unknown, status = 200): void {
    const data = Buffer.from(JSON.stringify(body) + '\n');
    this.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
    this.res.end(data);
  }

  /** Sends a plain-text body (`/_ping` answers "OK"). */
  text(body: string, status = 200, headers: Record<string, string> = {}): void {
    const data = Buffer.from(body);
    this.res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': data.length, ...headers });
    this.res.end(data);
  }

  /** An empty answer: 204 after delete/start/stop, 201 after create, 304 when nothing changed. */
  status(code: number): void {
    this.res.writeHead(code);
    this.res.end();
  }

  /**
   * Starts a streamed answer (logs, export, save): headers go out now and the body is written
   * by the caller through the returned response, which it must end().
   */
  stream(contentType: string, status = 200, headers: Record<string, string> = {}): ServerResponse {
    this.res.writeHead(status, { 'Content-Type': contentType, ...headers });
    this.res.flushHeaders();
    return this.res;
  }

  /** Starts a newline-delimited JSON progress answer. */
  ndjson(): NdjsonWriter {
    return new NdjsonWriter(this.stream('application/json'));
  }

  /**
   * Takes over the connection for a raw bidirectional stream (attach, exec start). When the
   * client asked for `Upgrade: tcp` it gets `101 UPGRADED`; otherwise `200 OK` (the old form).
   * Returns the socket: the handler reads stdin from it and writes output to it, and ends it.
   * Content-Type is docker's raw-stream, or the multiplexed-stream type for API >= 1.42 callers
   * that want to know the framing.
   */
  hijack(contentType = 'application/vnd.docker.raw-stream'): Duplex {
    if (this.hijacked) throw invalidArgument('connection already hijacked');
    this.hijacked = true;
    if (this.upgrade) {
      const { socket, head } = this.upgrade;
      socket.write(
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
          this.commonHeaderLines() +
          '\r\n',
      );
      if (head.length) socket.unshift(head);
      this.upgrade.head = Buffer.alloc(0);
      return socket;
    }
    const socket = this.req.socket;
    // Old clients: a plain 200 and then raw bytes on the same connection. The response object
    // is abandoned (never ended), so node writes nothing more on this socket.
    this.res.detachSocket(socket);
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n` + this.commonHeaderLines() + '\r\n');
    return socket;
  }

  /** True once the handler hijacked the connection. */
  get isHijacked(): boolean {
    return this.hijacked;
  }

  /** True when the client asked for `Connection: Upgrade`. */
  get isUpgrade(): boolean {
    return this.upgrade !== undefined;
  }

  private commonHeaderLines(): string {
    let s = '';
    for (const name of ['Api-Version', 'Docker-Experimental', 'Ostype', 'Server']) {
      const v = this.res.getHeader(name);
      if (typeof v === 'string') s += `${name}: ${v}\r\n`;
    }
    return s;
  }

  private async readAll(limit: number): Promise<Buffer> {
    if (this.bodyRead) throw invalidArgument('request body already read');
    this.bodyRead = true;
    const tooLarge = () => invalidArgument(`request body too large: more than ${limit} bytes`);
    const declared = Number(this.req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) throw tooLarge();
    if (this.upgrade) return this.readUpgradeBody(Number.isFinite(declared) ? declared : 0);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /** On an upgraded connection node leaves the body to us: `Content-Length` bytes from head, then the socket. */
  private async readUpgradeBody(length: number): Promise<Buffer> {
    const up = this.upgrade!;
    let buf = up.head;
    while (buf.length < length) {
      const chunk = await readChunk(up.socket);
      if (chunk === null) throw invalidArgument('invalid JSON: unexpected end of request body');
      buf = Buffer.concat([buf, chunk]);
    }
    up.head = buf.subarray(length);
    return buf.subarray(0, length);
  }
}

function readChunk(socket: Duplex): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off('readable', tryRead);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    const tryRead = () => {
      const c = socket.read() as Buffer | null;
      if (c !== null) {
        done();
        resolve(c);
      }
    };
    const onEnd = () => {
      done();
      resolve(null);
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    socket.on('readable', tryRead);
    socket.once('end', onEnd);
    socket.once('error', onError);
    tryRead();
  });
}
