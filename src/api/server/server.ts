import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { chmod, chown, lstat, rename, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { failedPrecondition, messageOf, notFound, unavailable, wrap, randomHex, type Logger } from '../../lib/index.ts';
import { maxApiVersion } from '../types/index.ts';
import { splitVersionedPath } from './api-version.ts';
import { RequestContext, type UpgradeSource } from './context.ts';
import { errorBody, httpStatusOf } from './http-errors.ts';
import type { Router } from './router.ts';

export interface ApiServerOptions {
  log: Logger;
  /** The `Server` header, e.g. `Berth/0.1.0 (linux)`. */
  serverHeader?: string;
  jsonBodyLimit?: number;
}

export interface UnixListenOptions {
  /** Socket file mode; docker's is 0660. */
  mode?: number;
  /** Group owning the socket (root, 0, unless `--group`). */
  gid?: number;
}

export interface TlsListenOptions {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * The Engine API server: node:http on one or more listeners (a unix socket, and TCP only with
 * TLS client certificates), the router, and the one place where errors become HTTP statuses with
 * `{"message": ...}` bodies. Every response carries Api-Version, Ostype and Docker-Experimental,
 * as dockerd's do. Upgraded requests (attach, exec start) go through the same router; the handler
 * calls ctx.hijack() to take the socket.
 */
export class ApiServer {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Duplex>();
  private readonly log: Logger;
  private readonly serverHeader: string;
  private readonly jsonBodyLimit: number | undefined;
  private gate: { ready: Promise<void>; open: Set<string> } | undefined;
  private readonly unixPaths: string[] = [];

  constructor(
    private readonly router: Router,
    options: ApiServerOptions,
  ) {
    this.log = options.log;
    this.serverHeader = options.serverHeader ?? 'Berth (linux)';
    this.jsonBodyLimit = options.jsonBodyLimit;
  }

  /**
   * Listens on a unix socket at `path`. A stale socket file (nobody answering) is replaced; a live
   * one means another daemon is there, which is refused.
   */
  async listenUnix(path: string, options: UnixListenOptions = {}): Promise<void> {
    await removeStaleSocket(path);
    const server = this.newServer();
    // Bind under a temporary name, set mode and group, then rename into place: the socket is
    // never reachable with the wrong permissions.
    const temp = `${path}.${randomHex(4)}.tmp`;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(temp, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await chmod(temp, options.mode ?? 0o660);
      if (options.gid !== undefined) await chown(temp, 0, options.gid);
      await rename(temp, path);
    } catch (err) {
      server.close();
      await rm(temp, { force: true });
      throw wrap(err, `listen on "unix://${path}"`);
    }
    this.unixPaths.push(path);
    this.log.info('api listening', { addr: `unix://${path}` });
  }

  /** Listens on TCP with TLS, requiring a client certificate signed by `tls.ca`. Returns the port. */
  async listenTcp(host: string, port: number, tls: TlsListenOptions): Promise<number> {
    const server = createTlsServer({ ca: tls.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true });
    this.setUp(server);
    const bound = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    }).catch((err: unknown) => {
      throw wrap(err, `listen on "tcp://${host}:${port}"`);
    });
    this.log.info('api listening', { addr: `tcp://${host}:${bound}`, tls: true });
    return bound;
  }

  /**
   * Lets the daemon listen before its services are built: until `ready` settles, requests for
   * paths other than `openPaths` wait for it (and get 503 if it fails). `/_ping` answers at once,
   * so clients see the daemon as soon as its socket exists and queue behind start-up.
   */
  holdUntil(ready: Promise<void>, openPaths: readonly string[] = ['/_ping', '/version']): void {
    const gate = { ready, open: new Set(openPaths) };
    ready.catch(() => {});
    this.gate = gate;
    void ready.then(
      () => {
        if (this.gate === gate) this.gate = undefined;
      },
      () => {},
    );
  }

  /**
   * Stops listening and closes every connection, including streams still open (events, logs
   * follow, attach). Containers are not touched.
   */
  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all(closing);
    this.servers.length = 0;
    for (const p of this.unixPaths.splice(0)) await rm(p, { force: true });
  }

  private newServer(): Server {
    const server = createServer();
    this.setUp(server);
    return server;
  }

  private setUp(server: Server): void {
    // Long uploads (image load) and streams must not be cut by node's request timeouts.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 5_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as Socket);
      res.once('finish', () => {
        res.detachSocket(socket as Socket);
        socket.end();
      });
      socket.on('error', () => socket.destroy());
      void this.handle(req, res, { socket, head });
    });
    server.on('clientError', (err: Error, socket: Duplex) => {
      if (socket.writable && !(err as NodeJS.ErrnoException).code?.startsWith('ECONN')) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      } else socket.destroy();
    });
    this.servers.push(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse, upgrade?: UpgradeSource): Promise<void> {
    const requestId = randomHex(6);
    const log = this.log.with({ requestId });
    res.setHeader('Api-Version', maxApiVersion);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', this.serverHeader);
    let ctx: RequestContext | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://berthd');
      const { version, path } = splitVersionedPath(url.pathname);
      const gate = this.gate;
      if (gate && !gate.open.has(path)) {
        await gate.ready.catch((err: unknown) => {
          throw unavailable(`the daemon failed to start: ${messageOf(err)}`);
        });
      }
      const match = this.router.match(req.method ?? 'GET', path);
      if (!match) {
        log.debug('no route', { method: req.method, path: req.url });
        throw notFound('page not found');
      }
      ctx = new RequestContext(req, res, {
        params: match.params,
        query: url.searchParams,
        apiVersion: version,
        log,
        requestId,
        ...(this.jsonBodyLimit === undefined ? {} : { jsonBodyLimit: this.jsonBodyLimit }),
        ...(upgrade ? { upgrade } : {}),
      });
      await this.router.compose(match.handler)(ctx);
      if (!ctx.isHijacked && !res.headersSent) ctx.status(204);
    } catch (err) {
      this.fail(res, err, ctx, log);
    }
  }

  /** The edge: a thrown error becomes a status and `{"message"}`, or an error line mid-stream. */
  private fail(res: ServerResponse, err: unknown, ctx: RequestContext | undefined, log: Logger): void {
    const status = httpStatusOf(err);
    if (status >= 500) log.error('request error', { method: ctx?.req.method, path: ctx?.req.url, status, error: messageOf(err) });
    if (ctx?.isHijacked) {
      const socket = ctx.req.socket;
      socket.destroy();
      return;
    }
    if (res.headersSent) {
      if (!res.writableEnded) {
        const type = String(res.getHeader('Content-Type') ?? '');
        if (type.startsWith('application/json')) {
          const message = messageOf(err);
          res.end(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
        } else res.destroy();
      }
      return;
    }
    if (status === 304) {
      res.writeHead(304);
      res.end();
      return;
    }
    const data = Buffer.from(JSON.stringify(errorBody(err)) + '\n');
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
    res.end(data);
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) throw failedPrecondition(`listen on "unix://${path}": the path exists and is not a socket`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const live = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw failedPrecondition(`listen on "unix://${path}": another daemon is listening there`);
  await rm(path, { force: true });
}
