import type { EngineClient, Hijacked } from './engine-client.ts';
import type { ExecCreateRequest, ExecInspect, IdResponse } from '../api/types/index.ts';

const enc = encodeURIComponent;

/** `/containers/{id}/exec` and `/exec/*`. */
export class ExecApi {
  constructor(private readonly client: EngineClient) {}

  create(containerId: string, body: ExecCreateRequest): Promise<IdResponse> {
    return this.client.json('POST', `/containers/${enc(containerId)}/exec`, { body });
  }

  /** Starts attached over a hijacked connection. */
  startAttached(execId: string, options: { tty: boolean }): Promise<Hijacked> {
    return this.client.hijack('POST', `/exec/${enc(execId)}/start`, { body: { Detach: false, Tty: options.tty } });
  }

  /** Starts detached: returns once the process runs. */
  startDetached(execId: string, options: { tty: boolean }): Promise<void> {
    return this.client.call('POST', `/exec/${enc(execId)}/start`, { body: { Detach: true, Tty: options.tty } });
  }

  inspect(execId: string): Promise<ExecInspect> {
    return this.client.json('GET', `/exec/${enc(execId)}/json`);
  }

  resize(execId: string, height: number, width: number): Promise<void> {
    return this.client.call('POST', `/exec/${enc(execId)}/resize`, { query: { h: height, w: width } });
  }
}
