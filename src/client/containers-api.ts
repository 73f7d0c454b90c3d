import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { readAll, type EngineClient, type Hijacked } from './engine-client.ts';
import type {
  ContainerChange,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPathStat,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerUpdateRequest,
  ContainerUpdateResponse,
  ContainerWaitResponse,
} from '../api/types/index.ts';

/** Filters as docker sends them: `{"status": {"running": true}}`. */
export type Filters = Record<string, Record<string, boolean>>;

/** Builds docker's filter map from `key=value` pairs. */
export function toFilters(pairs: readonly string[]): Filters | undefined {
  if (pairs.length === 0) return undefined;
  const out: Filters = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    const key = (i < 0 ? p : p.slice(0, i)).trim().toLowerCase();
    const value = i < 0 ? '' : p.slice(i + 1);
    (out[key] ??= {})[value] = true;
  }
  return out;
}

const enc = encodeURIComponent;

/** `/containers/*`: typed calls over the transport. */
export class ContainersApi {
  constructor(private readonly client: EngineClient) {}

  create(body: ContainerCreateRequest, options: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.client.json('POST', '/containers/create', { query: { name: options.name, platform: options.platform }, body });
  }

  list(options: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    return this.client.json('GET', '/containers/json', {
      query: { all: options.all || undefined, limit: options.limit, size: options.size || undefined, filters: options.filters },
    });
  }

  inspect(id: string, options: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.client.json('GET', `/containers/${enc(id)}/json`, { query: { size: options.size || undefined } });
  }

  start(id: string, options: { detachKeys?: string } = {}): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/start`, { query: { detachKeys: options.detachKeys } });
  }

  stop(id: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/stop`, { query: { t: options.timeout, signal: options.signal } });
  }

  restart(id: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/restart`, { query: { t: options.timeout, signal: options.signal } });
  }

  kill(id: string, signal?: string): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/kill`, { query: { signal } });
  }

  remove(id: string, options: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    return this.client.call('DELETE', `/containers/${enc(id)}`, {
      query: { force: options.force || undefined, v: options.volumes || undefined, link: options.link || undefined },
    });
  }

  /** Starts waiting; resolves when the condition is met. Send it before start for `next-exit`. */
  wait(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): Promise<ContainerWaitResponse> {
    return this.client.json('POST', `/containers/${enc(id)}/wait`, { query: { condition } });
  }

  /**
   * Registers a wait and resolves once the daemon has answered with headers (so a start sent
   * afterwards cannot race past it); `result` resolves when the condition is met.
   */
  async waitRegistered(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): Promise<{ result: Promise<ContainerWaitResponse> }> {
    const res = await this.client.request('POST', `/containers/${enc(id)}/wait`, { query: { condition } });
    const result = readAll(res).then((b) => {
      const text = b.toString('utf8').trim();
      const parsed = (text ? JSON.parse(text) : { StatusCode: -1 }) as ContainerWaitResponse & { message?: string };
      return parsed;
    });
    return { result };
  }

  attach(
    id: string,
    options: { stream?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean; detachKeys?: string },
  ): Promise<Hijacked> {
    return this.client.hijack('POST', `/containers/${enc(id)}/attach`, {
      query: {
        stream: options.stream ?? true,
        stdin: options.stdin ?? false,
        stdout: options.stdout ?? true,
        stderr: options.stderr ?? true,
        logs: options.logs || undefined,
        detachKeys: options.detachKeys,
      },
    });
  }

  logs(
    id: string,
    options: { follow?: boolean; stdout?: boolean; stderr?: boolean; since?: string; until?: string; timestamps?: boolean; tail?: string },
  ): Promise<IncomingMessage> {
    return this.client.request('GET', `/containers/${enc(id)}/logs`, {
      query: {
        follow: options.follow || undefined,
        stdout: options.stdout ?? true,
        stderr: options.stderr ?? true,
        since: options.since,
        until: options.until,
        timestamps: options.timestamps || undefined,
        tail: options.tail,
      },
    });
  }

  resize(id: string, height: number, width: number): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/resize`, { query: { h: height, w: width } });
  }

  top(id: string, psArgs?: string): Promise<ContainerTopResponse> {
    return this.client.json('GET', `/containers/${enc(id)}/top`, { query: { ps_args: psArgs } });
  }

  stats(id: string, options: { stream: boolean; oneShot?: boolean }): Promise<IncomingMessage> {
    return this.client.request('GET', `/containers/${enc(id)}/stats`, {
      query: { stream: options.stream, 'one-shot': options.oneShot || undefined },
    });
  }

  rename(id: string, name: string): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/rename`, { query: { name } });
  }

  update(id: string, body: ContainerUpdateRequest): Promise<ContainerUpdateResponse> {
    return this.client.json('POST', `/containers/${enc(id)}/update`, { body });
  }

  pause(id: string): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/pause`);
  }

  unpause(id: string): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/unpause`);
  }

  changes(id: string): Promise<ContainerChange[] | null> {
    return this.client.json('GET', `/containers/${enc(id)}/changes`);
  }

  export(id: string): Promise<IncomingMessage> {
    return this.client.request('GET', `/containers/${enc(id)}/export`);
  }

  /** `GET /archive`: a tar of `path` and its stat. */
  async getArchive(id: string, path: string): Promise<{ stream: IncomingMessage; stat: ContainerPathStat | undefined }> {
    const res = await this.client.request('GET', `/containers/${enc(id)}/archive`, { query: { path } });
    return { stream: res, stat: decodePathStat(res.headers['x-docker-container-path-stat']) };
  }

  /** `HEAD /archive`: the stat of `path` (not-found when missing). */
  async statPath(id: string, path: string): Promise<ContainerPathStat | undefined> {
    const res = await this.client.request('HEAD', `/containers/${enc(id)}/archive`, { query: { path } });
    res.resume();
    return decodePathStat(res.headers['x-docker-container-path-stat']);
  }

  /** `PUT /archive`: extracts a tar stream into directory `path`. */
  putArchive(id: string, path: string, tar: Readable | Buffer, options: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    return this.client.call('PUT', `/containers/${enc(id)}/archive`, {
      query: { path, noOverwriteDirNonDir: options.noOverwriteDirNonDir || undefined, copyUIDGID: options.copyUIDGID || undefined },
      body: tar,
      headers: { 'Content-Type': 'application/x-tar' },
    });
  }

  prune(filters?: Filters): Promise<ContainerPruneResponse> {
    return this.client.json('POST', '/containers/prune', { query: { filters } });
  }
}

/** Decodes the base64 JSON stat header of the archive endpoint. */
export function decodePathStat(header: string | string[] | undefined): ContainerPathStat | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  try {
    return JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as ContainerPathStat;
  } catch {
    return undefined;
  }
}
