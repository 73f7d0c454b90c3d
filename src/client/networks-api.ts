import type { EngineClient } from './engine-client.ts';
import type { Filters } from './containers-api.ts';
import type { NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkPruneResponse, NetworkResource } from '../api/types/index.ts';

const enc = encodeURIComponent;

/** `/networks/*`. */
export class NetworksApi {
  constructor(private readonly client: EngineClient) {}

  create(body: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    return this.client.json('POST', '/networks/create', { body });
  }

  list(filters?: Filters): Promise<NetworkResource[]> {
    return this.client.json('GET', '/networks', { query: { filters } });
  }

  inspect(name: string, options: { verbose?: boolean } = {}): Promise<NetworkResource> {
    return this.client.json('GET', `/networks/${enc(name)}`, { query: { verbose: options.verbose || undefined } });
  }

  remove(name: string): Promise<void> {
    return this.client.call('DELETE', `/networks/${enc(name)}`);
  }

  prune(filters?: Filters): Promise<NetworkPruneResponse> {
    return this.client.json('POST', '/networks/prune', { query: { filters } });
  }

  connect(name: string, body: NetworkConnectRequest): Promise<void> {
    return this.client.call('POST', `/networks/${enc(name)}/connect`, { body });
  }

  disconnect(name: string, container: string, force = false): Promise<void> {
    return this.client.call('POST', `/networks/${enc(name)}/disconnect`, { body: { Container: container, Force: force } });
  }
}
