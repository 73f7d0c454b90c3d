import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ContainerConfigWire, ImageDeleteItem, ImageHistoryItem, ImageInspect, ImagePruneResponse, ImageSummary, IdResponse } from '../api/types/index.ts';
import type { EngineClient } from './engine-client.ts';
import type { Filters } from './containers-api.ts';

const enc = encodeURIComponent;

/** `/images/*`, `/commit`. Streaming calls return the response to read as a JSON stream. */
export class ImagesApi {
  constructor(private readonly client: EngineClient) {}

  list(options: { all?: boolean; filters?: Filters; digests?: boolean } = {}): Promise<ImageSummary[]> {
    return this.client.json('GET', '/images/json', {
      query: { all: options.all || undefined, filters: options.filters, digests: options.digests || undefined },
    });
  }

  inspect(name: string): Promise<ImageInspect> {
    return this.client.json('GET', `/images/${enc(name)}/json`);
  }

  history(name: string): Promise<ImageHistoryItem[]> {
    return this.client.json('GET', `/images/${enc(name)}/history`);
  }

  tag(source: string, repo: string, tag?: string): Promise<void> {
    return this.client.call('POST', `/images/${enc(source)}/tag`, { query: { repo, tag } });
  }

  remove(name: string, options: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.client.json('DELETE', `/images/${enc(name)}`, {
      query: { force: options.force || undefined, noprune: options.noprune || undefined },
    });
  }

  prune(filters?: Filters): Promise<ImagePruneResponse> {
    return this.client.json('POST', '/images/prune', { query: { filters } });
  }

  /** `POST /images/create?fromImage=`: a JSON progress stream. */
  pull(image: string, options: { tag?: string; platform?: string; registryAuth?: string } = {}): Promise<IncomingMessage> {
    return this.client.request('POST', '/images/create', {
      query: { fromImage: image, tag: options.tag, platform: options.platform || undefined },
      headers: options.registryAuth ? { 'X-Registry-Auth': options.registryAuth } : {},
    });
  }

  /** `POST /images/{name}/push`: a JSON progress stream. */
  push(name: string, options: { tag?: string; registryAuth: string }): Promise<IncomingMessage> {
    return this.client.request('POST', `/images/${enc(name)}/push`, {
      query: { tag: options.tag },
      headers: { 'X-Registry-Auth': options.registryAuth },
    });
  }

  /** `POST /images/load`: a JSON progress stream (quiet or not). */
  load(tar: Readable, options: { quiet?: boolean } = {}): Promise<IncomingMessage> {
    return this.client.request('POST', '/images/load', {
      query: { quiet: options.quiet || undefined },
      body: tar,
      headers: { 'Content-Type': 'application/x-tar' },
    });
  }

  /** `GET /images/get?names=`: a tar of the images. */
  save(names: readonly string[]): Promise<IncomingMessage> {
    return this.client.request('GET', '/images/get', { query: { names: [...names] } });
  }

  /** `POST /images/create?fromSrc=`: imports a filesystem tar (stream body, or a URL). */
  import(
    source: Readable | string,
    options: { repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string } = {},
  ): Promise<IncomingMessage> {
    const fromSrc = typeof source === 'string' ? source : '-';
    return this.client.request('POST', '/images/create', {
      query: {
        fromSrc,
        repo: options.repo,
        tag: options.tag,
        message: options.message,
        changes: options.changes && options.changes.length ? options.changes : undefined,
        platform: options.platform,
      },
      ...(typeof source === 'string' ? {} : { body: source, headers: { 'Content-Type': 'application/x-tar' } }),
    });
  }

  commit(
    container: string,
    options: { repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[]; config?: ContainerConfigWire },
  ): Promise<IdResponse> {
    return this.client.json('POST', '/commit', {
      query: {
        container,
        repo: options.repo,
        tag: options.tag,
        comment: options.comment,
        author: options.author,
        pause: options.pause ?? true,
        changes: options.changes && options.changes.length ? options.changes : undefined,
      },
      body: options.config ?? {},
    });
  }
}
