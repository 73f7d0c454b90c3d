import type { ImageConfigConfig } from '../images/index.ts';
import { invalidArgument } from '../lib/index.ts';

/** The image config fields `docker import/commit --change` can set. */
export type ConfigChanges = Pick<
  ImageConfigConfig,
  'User' | 'ExposedPorts' | 'Env' | 'Entrypoint' | 'Cmd' | 'Volumes' | 'WorkingDir' | 'Labels' | 'StopSignal' | 'OnBuild'
>;

function argv(value: string): string[] {
  const v = value.trim();
  if (v.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    } catch {
      // not JSON: shell form below
    }
  }
  return ['/bin/sh', '-c', v];
}

function pairs(value: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  if (!value.includes('=')) {
    const sp = value.trim().indexOf(' ');
    if (sp < 0) throw invalidArgument(`invalid change: ${JSON.stringify(value)} needs key=value or "key value"`);
    return [[value.trim().slice(0, sp), value.trim().slice(sp + 1).trim()]];
  }
  for (const m of value.matchAll(re)) {
    let v = m[2]!;
    if (v.startsWith('"')) v = (JSON.parse(v) as string) ?? '';
    out.push([m[1]!, v]);
  }
  return out;
}

/**
 * Applies docker's `--change` instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,
 * STOPSIGNAL, USER, VOLUME, WORKDIR) onto `base`, in order, as `docker commit/import` does.
 */
export function applyChanges(base: ConfigChanges, changes: readonly string[]): ConfigChanges {
  const c: ConfigChanges = { ...base };
  for (const line of changes) {
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw invalidArgument(`invalid change: ${JSON.stringify(line)}`);
    const op = m[1]!.toUpperCase();
    const value = m[2]!.trim();
    switch (op) {
      case 'CMD':
        c.Cmd = argv(value);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = argv(value);
        break;
      case 'ENV': {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of pairs(value)) {
          const i = env.findIndex((e) => e.startsWith(`${k}=`));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'LABEL':
        c.Labels = { ...c.Labels, ...Object.fromEntries(pairs(value)) };
        break;
      case 'EXPOSE': {
        const ports = { ...c.ExposedPorts };
        for (const p of value.split(/\s+/)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        c.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...c.Volumes };
        for (const v of value.startsWith('[') ? (JSON.parse(value) as string[]) : value.split(/\s+/)) vols[v] = {};
        c.Volumes = vols;
        break;
      }
      case 'USER':
        c.User = value;
        break;
      case 'WORKDIR':
        c.WorkingDir = value;
        break;
      case 'STOPSIGNAL':
        c.StopSignal = value;
        break;
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), value];
        break;
      default:
        throw invalidArgument(`${op} is not a valid change command`);
    }
  }
  return c;
}
