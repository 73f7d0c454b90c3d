import type { VolumeCreateRequest } from '../../types/index.ts';
import { invalidArgument } from '../../../lib/index.ts';
import type { VolumeBackend } from '../backend.ts';
import type { Router } from '../router.ts';
import { filterBool } from '../filters.ts';

export const volumeListFilters = ['dangling', 'driver', 'label', 'name'] as const;
export const volumePruneFilters = ['label', 'label!', 'all'] as const;

/** `/volumes`: list, create, inspect, remove, prune. */
export function registerVolumeRoutes(router: Router, backend: VolumeBackend): void {
  router.get('/volumes', async (ctx) => ctx.json(await backend.list(ctx.filters(volumeListFilters))));
  router.post('/volumes/create', async (ctx) => {
    const body = (await ctx.body<VolumeCreateRequest>()) ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON: expected an object');
    ctx.json(await backend.create(body), 201);
  });
  router.post('/volumes/prune', async (ctx) => {
    const filters = ctx.filters(volumePruneFilters);
    // Since API 1.42 prune removes anonymous volumes only, unless `all=true` is given.
    const allFilter = filters.get('all')?.[0];
    const all = allFilter !== undefined ? filterBool('all', allFilter) : !ctx.versionAtLeast('1.42');
    filters.delete('all');
    ctx.json(await backend.prune(filters, { all }));
  });
  router.get('/volumes/:name', async (ctx) => ctx.json(await backend.inspect(ctx.param('name'))));
  router.delete('/volumes/:name', async (ctx) => {
    await backend.remove(ctx.param('name'), { force: ctx.bool('force') });
    ctx.status(204);
  });
}
