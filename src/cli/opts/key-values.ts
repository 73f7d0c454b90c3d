/** `key=value` flag values (`--label`, `--opt`, `--sysctl`, `--log-opt`) as a map; a bare `key` maps to "". */
export function keyValueMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    out[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1);
  }
  return out;
}
