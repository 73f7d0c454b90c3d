import { Template, type TemplateFunc } from './template.ts';
import { alignColumns } from './tab-writer.ts';

/** Header names per field for `table` formats, e.g. `{ ID: 'CONTAINER ID' }`. */
export type Headers = Record<string, string | ((...args: unknown[]) => string)>;

/** Docker's header functions: formatting functions become no-ops on header strings. */
const headerFuncs: Record<string, TemplateFunc> = {
  json: () => '',
  join: (v) => String(v),
  split: (v) => String(v),
  lower: (v) => String(v),
  upper: (v) => String(v),
  title: (v) => String(v),
  truncate: (v) => String(v),
  pad: (v) => String(v),
};

/** Normalises a `--format` value as docker does: trims, `\t` and `\n` escapes become real. */
export function prepareFormat(format: string): { table: boolean; source: string } {
  let f = format;
  const table = f.startsWith('table');
  if (table) f = f.slice('table'.length);
  f = f.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  if (f === 'json') f = '{{json .}}';
  return { table, source: f };
}

/**
 * Renders rows with a docker `--format`: `table ...` aligns columns under a header row, `json`
 * prints one JSON object per line, anything else is a Go template per row.
 */
export function formatRows(format: string, rows: readonly unknown[], headers: Headers): string {
  const { table, source } = prepareFormat(format);
  const tmpl = Template.parse(source);
  let body = '';
  for (const row of rows) body += tmpl.execute(row) + '\n';
  if (!table) return body;
  const headerTmpl = Template.parse(source, headerFuncs);
  const header = headerTmpl.execute(headerContext(headers));
  return alignColumns(header + '\n' + body);
}

function headerContext(headers: Headers): object {
  return new Proxy(headers, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      const h = target[key];
      if (h !== undefined) return h;
      return key.toUpperCase();
    },
  });
}

/** Renders one value with a template (inspect's `--format`). */
export function formatValue(format: string, value: unknown): string {
  const { source } = prepareFormat(format);
  return Template.parse(source).execute(value);
}
