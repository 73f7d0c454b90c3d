import type { IncomingMessage } from 'node:http';
import type { AuthConfig, AuthResponse, DiskUsageResponse, InfoResponse, VersionResponse } from '../api/types/index.ts';
import type { EngineClient } from './engine-client.ts';
import type { Filters } from './containers-api.ts';

/** `/version`, `/info`, `/system/df`, `/events`, `/auth`. */
export class SystemApi {
  constructor(private readonly client: EngineClient) {}

  version(): Promise<VersionResponse> {
    return this.client.json('GET', '/version');
  }

  info(): Promise<InfoResponse> {
    return this.client.json('GET', '/info');
  }

  df(): Promise<DiskUsageResponse> {
    return this.client.json('GET', '/system/df');
  }

  /** `GET /events`: a JSON stream of EventMessage. */
  events(options: { since?: string; until?: string; filters?: Filters } = {}): Promise<IncomingMessage> {
    return this.client.request('GET', '/events', { query: { since: options.since, until: options.until, filters: options.filters } });
  }

  auth(config: AuthConfig): Promise<AuthResponse> {
    return this.client.json('POST', '/auth', { body: config });
  }
}
