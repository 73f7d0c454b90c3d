import { invalidArgument } from '../../lib/index.ts';

/**
 * Docker's `filters` query parameter, decoded: a map from filter name to its values. Both wire
 * forms are accepted: `{"label":{"a=b":true}}` (current) and `{"label":["a=b"]}` (API < 1.22).
 */
export type Filters = Map<string, string[]>;

export function parseFilters(raw: string | null, allowed?: readonly string[]): Filters {
  const filters: Filters = new Map();
  if (raw === null || raw === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter: ${JSON.stringify(raw)} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidArgument(`invalid filter: ${JSON.stringify(raw)} is not an object`);
  }
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (allowed && !allowed.includes(name)) throw invalidArgument(`invalid filter '${name}'`);
    let values: string[];
    if (Array.isArray(value)) values = value.map(String);
    else if (value !== null && typeof value === 'object') {
      values = Object.entries(value as Record<string, unknown>)
        .filter(([, on]) => on === true)
        .map(([k]) => k);
    } else throw invalidArgument(`invalid filter '${name}': values must be a list or a map`);
    filters.set(name, values);
  }
  return filters;
}

/** True when `labels` satisfies every `key` or `key=value` in `wanted`. */
export function matchLabels(labels: Record<string, string> | null | undefined, wanted: readonly string[]): boolean {
  for (const w of wanted) {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    if (!labels || !(key in labels)) return false;
    if (eq >= 0 && labels[key] !== w.slice(eq + 1)) return false;
  }
  return true;
}

/** Parses a boolean filter value as docker does ("true"/"1" and "false"/"0"). */
export function filterBool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidArgument(`invalid filter '${name}=${value}'`);
}
