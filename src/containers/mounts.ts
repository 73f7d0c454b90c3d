import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, posix } from 'node:path';
import { invalidArgument, randomHex } from '../lib/index.ts';
import { parseTmpfsOptions } from '../volumes/index.ts';
import type { VolumeProvider } from './ports.ts';
import type { HostConfig, MountPoint } from './types.ts';

const propagations = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

export interface ParsedBind {
  source: string;
  destination: string;
  rw: boolean;
  mode: string;
  propagation: string;
  noCopy: boolean;
  /** A named volume (source is not a path). */
  isVolume: boolean;
}

/** Parses one `-v` entry: `src:dst[:opts]` (bind when src is absolute, else a named volume) or `dst`. */
export function parseBind(spec: string): ParsedBind {
  const parts = spec.split(':');
  let source = '';
  let destination: string;
  let mode = '';
  if (parts.length === 1) destination = parts[0]!;
  else if (parts.length === 2) {
    if (isAbsolute(parts[1]!)) [source, destination] = [parts[0]!, parts[1]!];
    else [destination, mode] = [parts[0]!, parts[1]!];
  } else if (parts.length === 3) [source, destination, mode] = [parts[0]!, parts[1]!, parts[2]!];
  else throw invalidArgument(`invalid volume specification: '${spec}'`);
  if (!isAbsolute(destination)) throw invalidArgument(`invalid volume specification: '${spec}': invalid mount config for type "volume": invalid mount path: '${destination}' mount path must be absolute`);
  if (posix.normalize(destination) === '/') throw invalidArgument(`invalid specification: destination can't be '/' in '${spec}'`);
  let rw = true;
  let propagation = '';
  let noCopy = false;
  for (const opt of mode ? mode.split(',') : []) {
    if (opt === 'ro') rw = false;
    else if (opt === 'rw') rw = true;
    else if (propagations.has(opt)) propagation = opt;
    else if (opt === 'nocopy') noCopy = true;
    else if (opt === 'z' || opt === 'Z' || opt === 'consistent' || opt === 'cached' || opt === 'delegated') continue;
    else throw invalidArgument(`invalid mode: ${opt}`);
  }
  const isVolume = source !== '' && !isAbsolute(source);
  if (isVolume && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) {
    throw invalidArgument(`create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { source, destination: posix.normalize(destination), rw, mode, propagation, noCopy, isVolume };
}

export const anonymousVolumeName = () => randomHex(32);

/**
 * Resolves Binds, Mounts, Tmpfs and the (image and user) Volumes of a container into mount
 * points, creating named and anonymous volumes. Later sources do not override earlier ones;
 * a destination given twice by the user is an error, as in docker.
 */
export async function resolveMountPoints(
  hc: Pick<HostConfig, 'binds' | 'mounts' | 'tmpfs'>,
  volumes: readonly string[],
  provider: VolumeProvider | undefined,
): Promise<MountPoint[]> {
  const out: MountPoint[] = [];
  const seen = new Set<string>();
  const claim = (dest: string) => {
    const d = posix.normalize(dest);
    if (seen.has(d)) throw invalidArgument(`Duplicate mount point: ${d}`);
    seen.add(d);
    return d;
  };
  const needVolumes = () => {
    if (!provider) throw invalidArgument('volumes are not available');
    return provider;
  };
  for (const spec of hc.binds) {
    const b = parseBind(spec);
    const destination = claim(b.destination);
    if (b.isVolume || b.source === '') {
      const v = await needVolumes().acquire(b.source || undefined, { anonymous: b.source === '' });
      out.push({ type: 'volume', name: v.name, source: v.mountpoint, destination, driver: v.driver, mode: b.mode || 'z', rw: b.rw, propagation: '', anonymous: b.source === '' });
    } else {
      await mkdir(b.source, { recursive: true });
      out.push({ type: 'bind', name: '', source: b.source, destination, driver: '', mode: b.mode, rw: b.rw, propagation: b.propagation || 'rprivate', anonymous: false });
    }
  }
  for (const m of hc.mounts) {
    if (!isAbsolute(m.target)) throw invalidArgument(`invalid mount config for type "${m.type}": invalid mount path: '${m.target}' mount path must be absolute`);
    const destination = claim(m.target);
    if (m.type === 'bind') {
      if (!m.source) throw invalidArgument('invalid mount config for type "bind": field Source must not be empty');
      const st = await stat(m.source).catch(() => undefined);
      if (!st) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      out.push({ type: 'bind', name: '', source: m.source, destination, driver: '', mode: '', rw: !m.readOnly, propagation: m.bindPropagation || 'rprivate', anonymous: false });
    } else if (m.type === 'volume') {
      const anonymous = !m.source;
      const v = await needVolumes().acquire(m.source || undefined, {
        anonymous,
        ...(m.volumeLabels ? { labels: m.volumeLabels } : {}),
        ...(m.volumeDriverOpts ? { driverOpts: m.volumeDriverOpts } : {}),
      });
      out.push({ type: 'volume', name: v.name, source: v.mountpoint, destination, driver: v.driver, mode: 'z', rw: !m.readOnly, propagation: '', anonymous });
    } else {
      const options: string[] = [];
      if (m.tmpfsSize) options.push(`size=${m.tmpfsSize}`);
      if (m.tmpfsMode) options.push(`mode=${m.tmpfsMode.toString(8)}`);
      out.push({ type: 'tmpfs', name: '', source: '', destination, driver: '', mode: '', rw: !m.readOnly, propagation: '', anonymous: false, options });
    }
  }
  for (const [dest, opts] of Object.entries(hc.tmpfs)) {
    if (!isAbsolute(dest)) throw invalidArgument(`invalid tmpfs mount path: '${dest}' mount path must be absolute`);
    const destination = claim(dest);
    parseTmpfsOptions(opts); // docker's checks and messages (`invalid tmpfs option "x"`)
    const options = opts ? opts.split(',').filter(Boolean) : [];
    const rw = !options.includes('ro');
    out.push({ type: 'tmpfs', name: '', source: '', destination, driver: '', mode: opts, rw, propagation: '', anonymous: false, options });
  }
  // Image and `-v /path` volumes not covered by anything above become anonymous volumes.
  for (const dest of volumes) {
    const d = posix.normalize(dest);
    if (seen.has(d)) continue;
    seen.add(d);
    const v = await needVolumes().acquire(undefined, { anonymous: true });
    out.push({ type: 'volume', name: v.name, source: v.mountpoint, destination: d, driver: v.driver, mode: '', rw: true, propagation: '', anonymous: true });
  }
  return out;
}
