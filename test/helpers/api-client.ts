import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** One answer of the raw Engine API client used by end-to-end tests. */
export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = any>(): T;
}

export interface ApiRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a Buffer/string as is; a Readable is piped (tar uploads). */
  body?: unknown;
  /** Connections to reuse (a keep-alive Agent, as client libraries have); default a fresh one per request. */
  agent?: Agent;
}

/**
 * A raw HTTP client over a unix socket (node:http with socketPath): what the docker CLI does,
 * with nothing hidden, so tests see statuses, headers and bodies exactly.
 */
export function apiRequest(socketPath: string, path: string, options: ApiRequestOptions = {}): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    let payload: Buffer | undefined;
    let stream: Readable | undefined;
    const b = options.body;
    if (b !== undefined) {
      if (typeof (b as Readable).pipe === 'function') stream = b as Readable;
      else if (Buffer.isBuffer(b) || typeof b === 'string') payload = Buffer.from(b);
      else {
        payload = Buffer.from(JSON.stringify(b));
        headers['Content-Type'] ??= 'application/json';
      }
    }
    if (payload) headers['Content-Length'] = String(payload.length);
    // By default a fresh connection per request (agent: false): no reuse of a keep-alive socket the daemon may be closing.
    const req = httpRequest({ socketPath, path, method: options.method ?? 'GET', headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: () => body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8')),
        });
      });
    });
    req.on('error', reject);
    if (stream) stream.pipe(req);
    else req.end(payload);
  });
}

/** Reads a newline-delimited JSON answer into its objects. */
export function ndjsonLines(res: ApiResponse): any[] {
  return res
    .text()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

export interface HijackedConnection {
  status: number;
  /** The raw status line and headers as received. */
  headerText: string;
  socket: Socket;
  /** Stream bytes that arrived together with the headers. */
  head: Buffer;
}

/**
 * Sends a request over a fresh socket the way docker's CLI does for attach/exec start
 * (`Connection: Upgrade`, `Upgrade: tcp`, unless `upgrade` is false) and returns the raw socket
 * after the response headers.
 */
export function apiHijack(
  socketPath: string,
  path: string,
  options: { method?: string; body?: unknown; upgrade?: boolean } = {},
): Promise<HijackedConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const payload = options.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.body));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        `${options.method ?? 'POST'} ${path} HTTP/1.1\r\nHost: api\r\n` +
          (options.upgrade === false ? '' : 'Connection: Upgrade\r\nUpgrade: tcp\r\n') +
          (payload.length ? `Content-Type: application/json\r\n` : '') +
          `Content-Length: ${payload.length}\r\n\r\n`,
      );
      if (payload.length) socket.write(payload);
    });
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const headerText = buf.subarray(0, end).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headerText)?.[1] ?? 0);
      socket.off('error', reject);
      resolve({ status, headerText, socket, head: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
  });
}
