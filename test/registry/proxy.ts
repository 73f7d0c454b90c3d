import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/**
 * A small HTTP proxy in front of a registry for tests: records requests and lets a test rewrite
 * or cut responses (`intercept` returns true when it answered itself).
 */
export class TestProxy {
  readonly seen: ProxyRequest[] = [];
  server: Server;
  port = 0;
  intercept: ((req: IncomingMessage, res: ServerResponse, upstream: (transform?: (chunk: Buffer, offset: number) => Buffer | 'cut') => void) => boolean) | undefined;

  constructor(private readonly target: string) {
    this.server = this.make();
  }

  private make(): Server {
    return createServer((req, res) => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const upstream = (transform?: (chunk: Buffer, offset: number) => Buffer | 'cut') => this.forward(req, res, transform);
      if (this.intercept?.(req, res, upstream)) return;
      upstream();
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse, transform?: (chunk: Buffer, offset: number) => Buffer | 'cut'): void {
    const t = new URL(this.target);
    const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      let offset = 0;
      ures.on('data', (chunk: Buffer) => {
        if (!transform) return void res.write(chunk);
        const out = transform(chunk, offset);
        offset += chunk.length;
        if (out === 'cut') {
          ures.destroy();
          res.socket?.destroy();
          return;
        }
        res.write(out);
      });
      ures.on('end', () => res.end());
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return `127.0.0.1:${this.port}`;
  }

  /** Stops listening and drops every connection (a registry that died). */
  async kill(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Listens again on the same port (the registry came back). */
  async revive(): Promise<void> {
    this.server = this.make();
    await this.listen(this.port);
  }
}
