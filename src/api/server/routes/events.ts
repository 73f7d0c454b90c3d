import { invalidArgument } from '../../../lib/index.ts';
import type { EventsBackend } from '../backend.ts';
import type { Router } from '../router.ts';

/** The filters `/events` understands, as dockerd's. */
export const eventFilterNames = [
  'config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret',
  'service', 'type', 'volume',
] as const;

/**
 * Docker sends since/until as unix seconds with an optional fraction (`1700000000.123456789`);
 * the CLI has already turned durations ("10m") and dates into that form. Returns milliseconds.
 */
export function parseEventTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+(\.\d{1,9})?$/.test(value)) throw invalidArgument(`invalid value for "${name}": ${JSON.stringify(value)} is not a unix timestamp`);
  return Number(value) * 1000;
}

/** `GET /events`: newline-delimited event objects, streamed until `until` or the client leaves. */
export function registerEventRoutes(router: Router, backend: EventsBackend): void {
  router.get('/events', async (ctx) => {
    const filters = ctx.filters(eventFilterNames);
    const since = parseEventTime('since', ctx.string('since'));
    const until = parseEventTime('until', ctx.string('until'));
    const out = ctx.stream('application/json');
    const events = backend.subscribe({
      filters,
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      signal: ctx.signal,
    });
    for await (const ev of events) {
      if (out.destroyed) break;
      out.write(JSON.stringify(ev) + '\n');
    }
    if (!out.writableEnded) out.end();
  });
}
