import { readFileSync, statfsSync } from 'node:fs';
import { posix } from 'node:path';
import { invalidArgument, wrap } from '../../lib/index.ts';

export type CgroupMode = 'v1' | 'v2';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

/**
 * The host's cgroup mode: "v2" when `root` (/sys/fs/cgroup) is itself a cgroup2 mount (unified);
 * "v1" when it is a tmpfs holding v1 hierarchies (legacy or hybrid, where a cgroup2 mount may
 * sit at root/unified without the controllers).
 */
export function detectCgroupMode(root = '/sys/fs/cgroup'): CgroupMode {
  let type: number;
  try {
    type = Number(statfsSync(root).type);
  } catch (err) {
    throw wrap(err, `detect cgroup mode: statfs ${JSON.stringify(root)}`);
  }
  if (type === CGROUP2_SUPER_MAGIC) return 'v2';
  if (type === TMPFS_MAGIC) return 'v1';
  throw invalidArgument(`detect cgroup mode: ${JSON.stringify(root)} is neither cgroup2 nor a tmpfs of v1 hierarchies`);
}

/** True when `dir` is a cgroup2 mount (e.g. /sys/fs/cgroup/unified on a hybrid host). */
export function isCgroup2Mount(dir: string): boolean {
  try {
    return Number(statfsSync(dir).type) === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Expands a systemd slice name into its path: "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice";
 * "-.slice" and "" are the root.
 */
export function expandSlice(slice: string): string {
  if (slice === '' || slice === '-.slice') return '/';
  if (!slice.endsWith('.slice') || slice.includes('/')) throw invalidArgument(`cgroupsPath: invalid slice ${JSON.stringify(slice)}`);
  const name = slice.slice(0, -'.slice'.length);
  if (name.startsWith('-') || name.endsWith('-') || name.includes('--')) throw invalidArgument(`cgroupsPath: invalid slice ${JSON.stringify(slice)}`);
  let path = '';
  let prefix = '';
  for (const part of name.split('-')) {
    prefix = prefix === '' ? part : `${prefix}-${part}`;
    path += `/${prefix}.slice`;
  }
  return path;
}

export interface ResolveCgroupsPathOptions {
  /** Container id, for the default path and systemd names. */
  id?: string;
  /**
   * The cgroup (relative to the hierarchy root) a relative path is joined to; runc uses its own
   * cgroup. Default "/".
   */
  parent?: string;
}

/**
 * The cgroup path, relative to the hierarchy root and starting with "/", of a spec's
 * `linux.cgroupsPath`: absolute paths are taken as they are, relative ones are joined to
 * `parent`, systemd's "slice:prefix:name" maps to "/<slice path>/<prefix>-<name>.scope", and an
 * empty value gives "/berth/<id>".
 */
export function resolveCgroupsPath(cgroupsPath: string | undefined, options: ResolveCgroupsPathOptions = {}): string {
  let out: string;
  const value = cgroupsPath ?? '';
  if (value.split(/[/:]/).includes('..')) throw invalidArgument(`cgroupsPath ${JSON.stringify(value)}: must not contain ".."`);
  const parts = value.split(':');
  if (value === '') {
    if (!options.id) throw invalidArgument('cgroupsPath: empty, and no container id to derive one');
    out = `/berth/${options.id}`;
  } else if (parts.length === 3 && !value.startsWith('/')) {
    const [slice = '', prefix = '', name = ''] = parts;
    if (name === '') throw invalidArgument(`cgroupsPath ${JSON.stringify(value)}: empty unit name`);
    const unit = name.endsWith('.slice') ? name : prefix === '' ? `${name}.scope` : `${prefix}-${name}.scope`;
    out = posix.join(expandSlice(slice === '' ? 'system.slice' : slice), unit);
  } else if (value.startsWith('/')) {
    out = posix.normalize(value);
  } else {
    out = posix.join(options.parent ?? '/', value);
  }
  out = posix.normalize(out);
  if (out.split('/').includes('..') || !out.startsWith('/')) throw invalidArgument(`cgroupsPath ${JSON.stringify(value)}: escapes the cgroup root`);
  if (out === '/') throw invalidArgument(`cgroupsPath ${JSON.stringify(value)}: must not be the root cgroup`);
  return out.replace(/\/+$/, '');
}

/** The v1 hierarchies mounted on this host: controller (or "name=systemd") → mount point. */
export function v1Hierarchies(mountinfo = '/proc/self/mountinfo'): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch (err) {
    throw wrap(err, `read ${JSON.stringify(mountinfo)}`);
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = unescapeMount(line.slice(0, sep).split(' ')[4] ?? '');
    for (const opt of superOpts.split(',')) {
      if (['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'xattr', 'clone_children', 'noprefix', 'cpuset_v2_mode'].includes(opt)) continue;
      if (opt.startsWith('release_agent=')) continue;
      out[opt] ??= mountPoint;
    }
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** This process's own cgroup per v1 controller (and "" for the v2 entry), from /proc/self/cgroup. */
export function ownCgroups(file = '/proc/self/cgroup'): Record<string, string> {
  const out: Record<string, string> = {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw wrap(err, `read ${JSON.stringify(file)}`);
  }
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, ctrls = '', path = '/'] = m;
    if (ctrls === '') out[''] = path;
    for (const c of ctrls.split(',')) if (c) out[c] = path;
  }
  return out;
}
