import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { EngineClient } from './engine-client.ts';

export interface BuildOptions {
  tags?: string[];
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
  networkMode?: string;
  platform?: string;
  rm?: boolean;
  forceRm?: boolean;
  cacheFrom?: string[];
  /** The X-Registry-Config header (base64 JSON map of registry → auth). */
  registryConfig?: string;
  /** A remote context (git URL or tarball URL) instead of a body. */
  remote?: string;
}

/** `POST /build`: the legacy builder; the body is the context tar, the answer a JSON stream. */
export class BuildApi {
  constructor(private readonly client: EngineClient) {}

  build(context: Readable | undefined, options: BuildOptions): Promise<IncomingMessage> {
    return this.client.request('POST', '/build', {
      query: {
        t: options.tags && options.tags.length ? options.tags : undefined,
        dockerfile: options.dockerfile,
        buildargs: options.buildArgs && Object.keys(options.buildArgs).length ? JSON.stringify(options.buildArgs) : undefined,
        labels: options.labels && Object.keys(options.labels).length ? JSON.stringify(options.labels) : undefined,
        target: options.target,
        nocache: options.noCache || undefined,
        pull: options.pull || undefined,
        q: options.quiet || undefined,
        networkmode: options.networkMode,
        platform: options.platform,
        rm: options.rm ?? true,
        forcerm: options.forceRm || undefined,
        cachefrom: options.cacheFrom && options.cacheFrom.length ? JSON.stringify(options.cacheFrom) : undefined,
        remote: options.remote,
      },
      ...(context ? { body: context } : {}),
      headers: {
        'Content-Type': 'application/x-tar',
        ...(options.registryConfig ? { 'X-Registry-Config': options.registryConfig } : {}),
      },
    });
  }
}
