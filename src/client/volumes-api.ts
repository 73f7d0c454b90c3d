import type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse } from '../api/types/index.ts';
import type { EngineClient } from './engine-client.ts';
import type { Filters } from './containers-api.ts';

const enc = encodeURIComponent;

/** `/volumes/*`. */
export class VolumesApi {
  constructor(private readonly client: EngineClient) {}

  create(body: VolumeCreateRequest): Promise<Volume> {
    return this.client.json('POST', '/volumes/create', { body });
  }

  list(filters?: Filters): Promise<VolumeListResponse> {
    return this.client.json('GET', '/volumes', { query: { filters } });
  }

  inspect(name: string): Promise<Volume> {
    return this.client.json('GET', `/volumes/${enc(name)}`);
  }

  remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    return this.client.call('DELETE', `/volumes/${enc(name)}`, { query: { force: options.force || undefined } });
  }

  prune(filters?: Filters): Promise<VolumePruneResponse> {
    return this.client.json('POST', '/volumes/prune', { query: { filters } });
  }
}
