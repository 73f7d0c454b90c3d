import type {
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkPruneResponse,
  NetworkResource,
} from '../../types/index.ts';
import { invalidArgument } from '../../../lib/index.ts';
import type { Filters } from '../filters.ts';
import type { Router } from '../router.ts';

export const networkListFilters = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;
export const networkPruneFilters = ['label', 'label!', 'until'] as const;

/** The networks half of the engine, as the Engine API needs it (the daemon implements it). */
export interface NetworkBackend {
  list(filters: Filters): Promise<NetworkResource[]>;
  inspect(ref: string): Promise<NetworkResource>;
  create(request: NetworkCreateRequest): Promise<NetworkCreateResponse>;
  remove(ref: string): Promise<void>;
  connect(ref: string, request: NetworkConnectRequest): Promise<void>;
  disconnect(ref: string, request: NetworkDisconnectRequest): Promise<void>;
  prune(filters: Filters): Promise<NetworkPruneResponse>;
}

function objectBody<T>(body: T | undefined): T {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
  return body;
}

/** `/networks`: list, inspect, create, remove, connect, disconnect, prune. */
export function registerNetworkRoutes(router: Router, backend: NetworkBackend): void {
  router.get('/networks', async (ctx) => ctx.json(await backend.list(ctx.filters(networkListFilters))));
  router.post('/networks/create', async (ctx) => ctx.json(await backend.create(objectBody(await ctx.body<NetworkCreateRequest>())), 201));
  router.post('/networks/prune', async (ctx) => ctx.json(await backend.prune(ctx.filters(networkPruneFilters))));
  router.get('/networks/:id', async (ctx) => ctx.json(await backend.inspect(ctx.param('id'))));
  router.delete('/networks/:id', async (ctx) => {
    await backend.remove(ctx.param('id'));
    ctx.status(204);
  });
  router.post('/networks/:id/connect', async (ctx) => {
    await backend.connect(ctx.param('id'), objectBody(await ctx.body<NetworkConnectRequest>()));
    ctx.status(200);
  });
  router.post('/networks/:id/disconnect', async (ctx) => {
    await backend.disconnect(ctx.param('id'), objectBody(await ctx.body<NetworkDisconnectRequest>()));
    ctx.status(200);
  });
}
