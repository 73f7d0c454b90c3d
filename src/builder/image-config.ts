import type { History, ImageConfigConfig } from '../images/index.ts';

/** The runtime part of an image config ("config" in the OCI image config), as a build evolves it. */
export type ContainerConfig = ImageConfigConfig;
export type HistoryEntry = History;

/** Reads `NAME=value` entries of an Env list into a map (later entries win). */
export function envMap(env: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) m.set(e, '');
    else m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

/** Sets NAME=value in an Env list, replacing an earlier entry in place as docker does. */
export function setEnv(env: readonly string[] | undefined, name: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => e === name || e.startsWith(name + '='));
  if (i >= 0) out[i] = `${name}=${value}`;
  else out.push(`${name}=${value}`);
  return out;
}
