import { isAbsolute, resolve } from 'node:path';
import type { MountRequest } from '../../api/types/index.ts';
import { UsageError } from '../parse/flags.ts';
import { parseBytes } from './units.ts';

/**
 * A `-v` value: `/dest` (an anonymous volume → Config.Volumes), or `src:/dest[:opts]` where src is a
 * volume name or a host path (→ HostConfig.Binds). Relative host paths (`./x`) become absolute.
 */
export function parseVolumeFlag(spec: string, cwd: string): { volume?: string; bind?: string } {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const dest = parts[0] as string;
    if (!isAbsolute(dest)) throw new UsageError(`invalid volume specification: '${spec}'`);
    return { volume: dest };
  }
  if (parts.length > 3) throw new UsageError(`invalid volume specification: '${spec}'`);
  let [src, dest, mode] = parts as [string, string, string?];
  if (!src || !dest) throw new UsageError(`invalid volume specification: '${spec}'`);
  if (!isAbsolute(dest)) throw new UsageError(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${dest}' mount path must be absolute`);
  if (src.startsWith('.') || src.startsWith('~')) src = resolve(cwd, src);
  if (mode !== undefined) {
    for (const m of mode.split(',')) {
      if (!/^(ro|rw|z|Z|nocopy|shared|rshared|slave|rslave|private|rprivate|consistent|cached|delegated)$/.test(m)) {
        throw new UsageError(`invalid mode: ${m}`);
      }
    }
  }
  return { bind: mode === undefined ? `${src}:${dest}` : `${src}:${dest}:${mode}` };
}

/** A `--mount` value: `type=bind,source=/a,target=/b,readonly`, docker's CSV keys. */
export function parseMountFlag(spec: string): MountRequest {
  const m: MountRequest = { Type: 'volume', Target: '' };
  const volumeLabels: Record<string, string> = {};
  const driverOpts: Record<string, string> = {};
  let driverName: string | undefined;
  let noCopy: boolean | undefined;
  let propagation: string | undefined;
  let nonRecursive: boolean | undefined;
  let tmpfsSize: number | undefined;
  let tmpfsMode: number | undefined;
  for (const field of splitCsv(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const boolValue = () => (value === undefined ? true : /^(1|true)$/i.test(value) ? true : /^(0|false)$/i.test(value) ? false : bad());
    const bad = (): never => {
      throw new UsageError(`invalid argument "${spec}" for "--mount" flag: invalid field '${field}'`);
    };
    const need = (): string => (value === undefined ? bad() : value);
    switch (key) {
      case 'type': {
        const t = need();
        if (!['bind', 'volume', 'tmpfs', 'npipe', 'cluster'].includes(t)) {
          throw new UsageError(`invalid argument "${spec}" for "--mount" flag: invalid mount type "${t}"`);
        }
        m.Type = t as MountRequest['Type'];
        break;
      }
      case 'source':
      case 'src':
        m.Source = need();
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = need();
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = boolValue();
        break;
      case 'consistency':
        m.Consistency = need();
        break;
      case 'bind-propagation':
        propagation = need();
        break;
      case 'bind-nonrecursive':
        nonRecursive = boolValue();
        break;
      case 'volume-nocopy':
        noCopy = boolValue();
        break;
      case 'volume-label': {
        const [k, ...v] = need().split('=');
        volumeLabels[k as string] = v.join('=');
        break;
      }
      case 'volume-driver':
        driverName = need();
        break;
      case 'volume-opt': {
        const [k, ...v] = need().split('=');
        driverOpts[k as string] = v.join('=');
        break;
      }
      case 'tmpfs-size':
        tmpfsSize = parseBytes(need(), '--mount');
        break;
      case 'tmpfs-mode':
        tmpfsMode = parseInt(need(), 8);
        if (Number.isNaN(tmpfsMode)) bad();
        break;
      default:
        throw new UsageError(`invalid argument "${spec}" for "--mount" flag: unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw new UsageError(`invalid argument "${spec}" for "--mount" flag: target is required`);
  if (m.Type === 'bind' && !m.Source) throw new UsageError(`invalid argument "${spec}" for "--mount" flag: source is required when specifying bind mount`);
  if (m.Type === 'bind' && (propagation !== undefined || nonRecursive !== undefined)) {
    m.BindOptions = {
      ...(propagation !== undefined ? { Propagation: propagation } : {}),
      ...(nonRecursive !== undefined ? { NonRecursive: nonRecursive } : {}),
    };
  }
  if (m.Type === 'volume' && (noCopy !== undefined || Object.keys(volumeLabels).length || driverName || Object.keys(driverOpts).length)) {
    m.VolumeOptions = {
      ...(noCopy !== undefined ? { NoCopy: noCopy } : {}),
      ...(Object.keys(volumeLabels).length ? { Labels: volumeLabels } : {}),
      ...(driverName || Object.keys(driverOpts).length
        ? { DriverConfig: { ...(driverName ? { Name: driverName } : {}), ...(Object.keys(driverOpts).length ? { Options: driverOpts } : {}) } }
        : {}),
    };
  }
  if (m.Type === 'tmpfs' && (tmpfsSize !== undefined || tmpfsMode !== undefined)) {
    m.TmpfsOptions = { ...(tmpfsSize !== undefined ? { SizeBytes: tmpfsSize } : {}), ...(tmpfsMode !== undefined ? { Mode: tmpfsMode } : {}) };
  }
  return m;
}

/** Splits a CSV line honouring double quotes (docker's --mount uses encoding/csv). */
export function splitCsv(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') {
      if (quoted && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((f) => f !== '');
}

/** `--tmpfs /run:rw,size=64m` → ["/run", "rw,size=64m"]. */
export function parseTmpfsFlag(spec: string): [string, string] {
  const i = spec.indexOf(':');
  const path = i < 0 ? spec : spec.slice(0, i);
  if (!isAbsolute(path)) throw new UsageError(`invalid argument "${spec}" for "--tmpfs" flag: path must be absolute`);
  return [path, i < 0 ? '' : spec.slice(i + 1)];
}
