import { EngineClient, type EngineClientOptions } from './engine-client.ts';
import { ContainersApi } from './containers-api.ts';
import { ExecApi } from './exec-api.ts';
import { ImagesApi } from './images-api.ts';
import { VolumesApi } from './volumes-api.ts';
import { SystemApi } from './system-api.ts';
import { NetworksApi } from './networks-api.ts';
import { BuildApi } from './build-api.ts';

/** The typed Engine API: one object per resource over one transport. */
export class Engine {
  readonly client: EngineClient;
  readonly containers: ContainersApi;
  readonly exec: ExecApi;
  readonly images: ImagesApi;
  readonly volumes: VolumesApi;
  readonly system: SystemApi;
  readonly networks: NetworksApi;
  readonly builder: BuildApi;

  constructor(options: EngineClientOptions | EngineClient) {
    this.client = options instanceof EngineClient ? options : new EngineClient(options);
    this.containers = new ContainersApi(this.client);
    this.exec = new ExecApi(this.client);
    this.images = new ImagesApi(this.client);
    this.volumes = new VolumesApi(this.client);
    this.system = new SystemApi(this.client);
    this.networks = new NetworksApi(this.client);
    this.builder = new BuildApi(this.client);
  }

  close(): void {
    this.client.close();
  }
}
