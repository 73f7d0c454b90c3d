import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorCode, messageOf, nullLogger, type Logger } from '../../lib/index.ts';
import { apiVersion, headers, isRepositoryName, parseRoute, registryError, RegistryApiError } from '../api/index.ts';
import type { RequestContext } from './context.ts';
import { handleBase } from './handlers/base.ts';
import { handleBlob } from './handlers/blobs.ts';
import { handleCatalog } from './handlers/catalog.ts';
import { handleSearch } from './handlers/search.ts';
import { handleManifest } from './handlers/manifests.ts';
import { handleReferrers } from './handlers/referrers.ts';
import { handleTags } from './handlers/tags.ts';
import { handleUpload, handleUploadStart } from './handlers/uploads.ts';
import type { Htpasswd } from './htpasswd.ts';
import { garbageCollect, type RegistryStorage } from './storage/index.ts';

export interface RegistryServerOptions {
  storage: RegistryStorage;
  logger?: Logger;
  /** Refuse every write (POST, PUT, PATCH, DELETE) with 405 UNSUPPORTED. */
  readOnly?: boolean;
  /** Allow DELETE of manifests, tags and blobs (default true). */
  deleteEnabled?: boolean;
  /** Basic authentication against these users; anonymous access when absent. */
  htpasswd?: Htpasswd;
  realm?: string;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Online garbage collection every intervalMs, keeping blobs younger than gracePeriodMs. */
  onlineGc?: { intervalMs: number; gracePeriodMs: number };
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** berth-registry's HTTP(S) front: auth, read-only mode, routing, the OCI error table. */
export class RegistryServer {
  readonly server: Server;
  private readonly options: RegistryServerOptions;
  private readonly logger: Logger;
  private gcTimer: NodeJS.Timeout | undefined;

  constructor(options: RegistryServerOptions) {
    this.options = options;
    this.logger = options.logger ?? nullLogger;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
    this.server.keepAliveTimeout = 30_000;
  }

  /** Listens on `host:port` (port 0 for any) and returns the base URL. */
  async listen(addr: string): Promise<string> {
    const i = addr.lastIndexOf(':');
    const host = (i >= 0 ? addr.slice(0, i) : addr).replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = i >= 0 ? Number(addr.slice(i + 1)) : 5000;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    const url = `${this.options.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    if (this.options.onlineGc) {
      const { intervalMs, gracePeriodMs } = this.options.onlineGc;
      this.gcTimer = setInterval(() => {
        garbageCollect(this.options.storage, { gracePeriodMs, logger: this.logger }).catch((err: unknown) => this.logger.error('online gc failed', { error: err }));
      }, intervalMs);
      this.gcTimer.unref();
    }
    this.logger.info('listening', { url });
    return url;
  }

  async close(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader(headers.apiVersion, apiVersion);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://registry');
    } catch {
      url = new URL('http://registry/');
    }
    const ctxBase = { req, res, url, storage: this.options.storage, logger: this.logger, deleteEnabled: this.options.deleteEnabled ?? true };
    try {
      if (!(await this.authenticate(req, res))) return;
      let pathname: string;
      try {
        pathname = decodeURIComponent(url.pathname);
      } catch {
        throw registryError('NAME_INVALID', 'malformed path');
      }
      const route = parseRoute(pathname);
      if (!route) {
        res.statusCode = 404;
        res.setHeader('Content-Type', 'text/plain');
        res.end('404 page not found\n');
        req.resume();
        return;
      }
      if ('name' in route && !isRepositoryName(route.name)) throw registryError('NAME_INVALID', `invalid repository name ${JSON.stringify(route.name)}`, { name: route.name });
      if (this.options.readOnly && writeMethods.has(req.method ?? '')) {
        throw registryError('UNSUPPORTED', 'the registry is in read-only mode');
      }
      const ctx: RequestContext = { ...ctxBase, route };
      switch (route.kind) {
        case 'base':
          return await handleBase(ctx);
        case 'catalog':
          return await handleCatalog(ctx);
        case 'tags':
          return await handleTags(ctx, route.name);
        case 'manifest':
          return await handleManifest(ctx, route.name, route.reference);
        case 'blob':
          return await handleBlob(ctx, route.name, route.digest);
        case 'upload-start':
          return await handleUploadStart(ctx, route.name);
        case 'upload':
          return await handleUpload(ctx, route.name, route.id);
        case 'referrers':
          return await handleReferrers(ctx, route.name, route.digest);
        case 'search':
          return await handleSearch(ctx);
      }
    } catch (err) {
      this.sendError(req, res, err);
    }
  }

  /** Basic auth when an htpasswd is configured; writes the 401 itself and returns false. */
  private async authenticate(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const users = this.options.htpasswd;
    if (!users) return true;
    const h = req.headers.authorization ?? '';
    const m = h.match(/^Basic\s+(.+)$/i);
    if (m) {
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0 && (await users.check(decoded.slice(0, i), decoded.slice(i + 1)))) return true;
    }
    res.setHeader('WWW-Authenticate', `Basic realm="${this.options.realm ?? 'berth-registry'}"`);
    this.sendError(req, res, registryError('UNAUTHORIZED', 'authentication required'));
    return false;
  }

  /** Translates any error to the OCI error table, once, here. */
  private sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    let e: RegistryApiError;
    if (err instanceof RegistryApiError) e = err;
    else {
      const code = errorCode(err);
      this.logger.error('request failed', { method: req.method, url: req.url, error: messageOf(err) });
      e = code === 'not-found' ? registryError('NAME_UNKNOWN', messageOf(err)) : registryError('UNKNOWN', messageOf(err));
    }
    if (e.status >= 500) this.logger.warn('request error', { method: req.method, url: req.url, code: e.ociCode });
    if (!req.complete) {
      // The body was not read: close the connection after answering rather than drain it.
      res.setHeader('Connection', 'close');
      req.resume();
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = Buffer.from(JSON.stringify(e.toBody()));
    res.statusCode = e.status;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
