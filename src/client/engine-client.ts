import { request as httpRequest, Agent, type IncomingMessage, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { BerthError } from '../lib/index.ts';
import { parseDaemonHost, type DaemonAddress } from './daemon-host.ts';
import { DaemonError, DaemonUnreachableError, messageFromBody } from './daemon-error.ts';

/** The newest Engine API version this client speaks; negotiated down to the daemon's. */
export const clientApiVersion = '1.45';
/** The oldest the daemon may offer before we refuse to talk. */
export const minApiVersion = '1.24';

export interface TlsOptions {
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  /** Verify the daemon's certificate (docker's --tlsverify). */
  verify: boolean;
}

export interface EngineClientOptions {
  /** `unix:///run/berth/berth.sock`, `/path`, or `tcp://host:port`. */
  host: string;
  /** A fixed API version (DOCKER_API_VERSION); skips negotiation. */
  apiVersion?: string;
  tls?: TlsOptions;
  userAgent?: string;
}

export type Query = Record<string, string | number | boolean | undefined | null | string[] | object>;

export interface RequestOptions {
  query?: Query;
  /** A JSON-serialisable value, or a stream/buffer sent as is (set the content type in headers). */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  signal?: AbortSignal;
  /** Skip the `/vX.Y` prefix (for `/_ping`). */
  unversioned?: boolean;
}

export interface PingResult {
  apiVersion: string;
  osType: string;
  builderVersion: string;
  experimental: boolean;
}

/** A hijacked connection: the raw duplex stream after `101 Switching Protocols`. */
export interface Hijacked {
  socket: Duplex;
  /** True when the daemon upgraded (101); false when it answered 200 and streams one way. */
  upgraded: boolean;
}

/**
 * The transport under every Engine API call: HTTP over a unix socket (or TCP with TLS), API
 * version negotiation through `/_ping`, daemon errors turned into DaemonError, and helpers for
 * JSON, streamed and hijacked responses. Nothing is cached on disk.
 */
export class EngineClient {
  readonly address: DaemonAddress;
  readonly tls: TlsOptions | undefined;
  private version: string | undefined;
  private negotiation: Promise<string> | undefined;
  private readonly agent: Agent;
  private readonly userAgent: string;

  constructor(options: EngineClientOptions) {
    this.address = parseDaemonHost(options.host);
    this.tls = options.tls;
    this.version = options.apiVersion;
    this.userAgent = options.userAgent ?? 'berth-cli';
    this.agent = new Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** The daemon URL as the user wrote it (for messages). */
  get url(): string {
    return this.address.url;
  }

  /** Closes idle keep-alive connections so the process can exit promptly. */
  close(): void {
    this.agent.destroy();
  }

  /** `GET /_ping`: the daemon's API version and platform headers. */
  async ping(signal?: AbortSignal): Promise<PingResult> {
    const res = await this.send('GET', '/_ping', { unversioned: true, ...(signal ? { signal } : {}) });
    await readAll(res);
    if (res.statusCode !== 200) {
      throw new DaemonError(res.statusCode ?? 500, `ping: status ${res.statusCode}`);
    }
    const h = res.headers;
    return {
      apiVersion: String(h['api-version'] ?? ''),
      osType: String(h['ostype'] ?? ''),
      builderVersion: String(h['builder-version'] ?? ''),
      experimental: h['docker-experimental'] === 'true',
    };
  }

  /** The negotiated API version: min(client, daemon), or the fixed one. */
  async apiVersion(): Promise<string> {
    if (this.version) return this.version;
    this.negotiation ??= this.ping().then((p) => {
      const v = p.apiVersion && compareVersions(p.apiVersion, clientApiVersion) < 0 ? p.apiVersion : clientApiVersion;
      this.version = v;
      return v;
    });
    return this.negotiation;
  }

  /** Sends a request and returns the response; error statuses become DaemonError. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.send(method, path, options);
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const body = (await readAll(res)).toString('utf8');
      throw new DaemonError(status, messageFromBody(status, body));
    }
    return res;
  }

  /** A request whose JSON response body is returned (undefined for an empty body). */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    const text = (await readAll(res)).toString('utf8');
    if (!text.trim()) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new BerthError('internal', `${method.toLowerCase()} ${path}: invalid JSON from daemon`, { cause: err });
    }
  }

  /** A request whose body is drained and ignored (204 and friends). */
  async call(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const res = await this.request(method, path, options);
    await readAll(res);
  }

  /**
   * Opens a hijacked connection (attach, exec start): sends `Connection: Upgrade, Upgrade: tcp`
   * and resolves with the raw socket once the daemon answers 101.
   */
  async hijack(method: string, path: string, options: RequestOptions = {}): Promise<Hijacked> {
    const version = options.unversioned ? undefined : await this.apiVersion();
    const req = this.makeRequest(method, path, options, version, {
      Connection: 'Upgrade',
      Upgrade: 'tcp',
    });
    return new Promise<Hijacked>((resolve, reject) => {
      req.on('upgrade', (_res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve({ socket, upgraded: true });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          readAll(res).then(
            (b) => reject(new DaemonError(status, messageFromBody(status, b.toString('utf8')))),
            reject,
          );
          return;
        }
        resolve({ socket: res as unknown as Duplex, upgraded: false });
      });
      req.on('error', (err) => reject(this.connectionError(err)));
      writeBody(req, options.body);
    });
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    const version = options.unversioned ? undefined : await this.apiVersion();
    const req = this.makeRequest(method, path, options, version, {});
    return new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', (err) => reject(this.connectionError(err)));
      writeBody(req, options.body);
    });
  }

  private makeRequest(
    method: string,
    path: string,
    options: RequestOptions,
    version: string | undefined,
    extra: OutgoingHttpHeaders,
  ): ClientRequest {
    const url = (version ? `/v${version}` : '') + path + encodeQuery(options.query);
    const headers: OutgoingHttpHeaders = { 'User-Agent': this.userAgent, ...extra, ...options.headers };
    const body = options.body;
    if (body !== undefined && !isStreamLike(body) && !Buffer.isBuffer(body)) {
      headers['Content-Type'] ??= 'application/json';
    }
    const upgrade = 'Upgrade' in extra;
    const base = {
      method,
      path: url,
      headers,
      ...(upgrade ? {} : { agent: this.agent }),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const a = this.address;
    if (a.kind === 'unix') {
      return httpRequest({ ...base, socketPath: a.path, host: 'localhost' });
    }
    if (this.tls) {
      // Loaded only for TLS daemons: keeps start-up lean for the common unix-socket case.
      const { agent: _plain, ...rest } = base as typeof base & { agent?: Agent };
      return tlsRequest({ ...rest, host: a.host, port: a.port }, this.tls);
    }
    return httpRequest({ ...base, host: a.host, port: a.port });
  }

  private connectionError(err: unknown): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND') {
      return new DaemonUnreachableError(this.url, err);
    }
    if (code === 'EACCES') {
      return new BerthError(
        'permission-denied',
        `permission denied while trying to connect to the Berth daemon socket at ${this.url}`,
        { cause: err },
      );
    }
    if (code === 'ABORT_ERR') return new BerthError('canceled', 'request canceled', { cause: err });
    return new BerthError('unavailable', `connect to ${this.url}: ${(err as Error).message}`, { cause: err });
  }
}

let httpsModule: typeof import('node:https') | undefined;
function tlsRequest(base: Record<string, unknown>, tls: TlsOptions): ClientRequest {
  if (!httpsModule) throw new BerthError('internal', 'tls: call loadTls() before creating a TLS client');
  return httpsModule.request({
    ...base,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    rejectUnauthorized: tls.verify,
  } as import('node:https').RequestOptions);
}

/** Loads node:https; the CLI calls this only when it talks TLS. */
export async function loadTls(): Promise<void> {
  httpsModule ??= await import('node:https');
}

function isStreamLike(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function';
}

function writeBody(req: ClientRequest, body: unknown): void {
  if (body === undefined) {
    req.end();
  } else if (Buffer.isBuffer(body) || typeof body === 'string') {
    req.end(body);
  } else if (isStreamLike(body)) {
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
  } else {
    req.end(JSON.stringify(body));
  }
}

/** Encodes a query: booleans as 1/0, arrays repeated, objects as JSON (docker's filters). */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    const key = encodeURIComponent(k);
    if (Array.isArray(v)) {
      for (const item of v) parts.push(`${key}=${encodeURIComponent(String(item))}`);
    } else if (typeof v === 'boolean') {
      parts.push(`${key}=${v ? '1' : '0'}`);
    } else if (typeof v === 'object') {
      parts.push(`${key}=${encodeURIComponent(JSON.stringify(v))}`);
    } else {
      parts.push(`${key}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.length ? '?' + parts.join('&') : '';
}

/** Reads a whole response body. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Compares dotted versions numerically: "1.9" < "1.41". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
