/**
 * config.json → launch plan: the flat, ordered records berth-shim carries out (native/shim/
 * PROTOCOL.md). Everything is decided here: which namespaces, which mounts in which order with
 * which MS_* flags, devices, capability masks clamped to the bounding set, the seccomp program.
 * The C side never parses JSON and never decides.
 */
import { statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { invalidArgument } from '../lib/index.ts';
import type { Hook, LinuxDevice, LinuxIDMapping, LinuxSeccomp, Mount, Process, Spec } from './spec/index.ts';
import { ociDefaultDevices } from './spec/index.ts';
import {
  CAP_LAST_CAP,
  MS,
  capabilityMask,
  clampToBoundingSet,
  parseMountOptions,
  parsePropagation,
  rlimitResource,
} from './linux/index.ts';
import { compileSeccomp } from './seccomp/index.ts';

export type PlanRecord = [string, ...(string | number)[]];

const SAFE_FIELD = /^[\x21-\x24\x26-\x7e]+$/;

/** Percent-encodes one field: bytes <= 0x20, '%', 0x7f and >= 0x80; the empty string is "%". */
export function encodeField(value: string | number): string {
  const s = String(value);
  if (s === '') return '%';
  if (SAFE_FIELD.test(s)) return s; // the common case (hex programs, paths): nothing to escape
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b <= 0x20 || b === 0x25 || b >= 0x7f) out += `%${b.toString(16).padStart(2, '0').toUpperCase()}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

export function encodePlan(records: readonly PlanRecord[]): string {
  return records.map((r) => r.map(encodeField).join(' ')).join('\n') + '\n';
}

/** Decodes a plan back into records (for tests and debugging). */
export function decodePlan(text: string): string[][] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').map((f) => (f === '%' ? '' : Buffer.from(f.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'))));
}

const nsNames: Record<string, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** Where the monitor keeps its sockets and files for one container or exec. */
export interface MonitorFiles {
  control: string;
  attach?: string;
  exitFile: string;
  pidFile?: string;
  hookState?: string;
}

export type PlanStdio =
  | { mode: 'inherit' }
  | { mode: 'null' }
  | { mode: 'pipe'; openStdin?: boolean; stdinOnce?: boolean; logPath?: string; logMaxSize?: number; logMaxFiles?: number };

export interface PlanContext {
  /** The bundle directory (root.path is relative to it). */
  bundle: string;
  files: MonitorFiles;
  stdio: PlanStdio;
  consoleSocket?: string;
  /** Exec right after setup (run, exec) instead of waiting for "start". */
  autostart?: boolean;
  /** Host cgroup directories to show at a "cgroup" mount: name → host path. */
  cgroupDirs?: Record<string, string>;
  /** Called for what is tolerated but worth a warning (clamped capabilities). */
  warn?: (msg: string) => void;
  /** Capability bounding set of the runtime (default: /proc/self/status CapBnd). */
  bounding?: bigint;
  /** How many extra fds the shim is spawned with (at 4...), given to the process as 3... */
  preserveFds?: number;
  /**
   * cgroup.procs files the monitor writes the process's pid to once the runtime says "go" (the
   * runtime has created the cgroups meanwhile). Left out, the runtime places the process itself
   * between "pid" and "go".
   */
  cgroupJoin?: readonly string[];
}

/** The namespaces of a spec as [shim name, path or ''] with user first. */
export function planNamespaces(spec: Spec): [string, string][] {
  const out: [string, string][] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    const name = nsNames[ns.type];
    if (!name) throw invalidArgument(`namespace type ${JSON.stringify(ns.type)}: unknown`);
    if (out.some(([n]) => n === name)) throw invalidArgument(`namespace ${JSON.stringify(ns.type)}: listed twice`);
    out.push([name, ns.path ?? '']);
  }
  return out.sort((a, b) => (a[0] === 'user' ? -1 : b[0] === 'user' ? 1 : 0));
}

function hookRecords(kind: string, hooks: readonly Hook[] | undefined): PlanRecord[] {
  return (hooks ?? []).map((h) => {
    const args = h.args ?? [h.path];
    return ['hook', kind, h.timeout ?? 0, h.path, args.length, ...args, ...(h.env ?? [])] as PlanRecord;
  });
}

/** An id_map file's text ("inside outside count" lines) of OCI mappings. */
function idMapText(maps: readonly LinuxIDMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';
}

/**
 * The extra fields of a mount record: mount_setattr(AT_RECURSIVE) attributes ("rro", "rnosuid"...)
 * and, for an idmapped bind (runtime-spec "idmap"/"ridmap" or mounts[].uidMappings), the id maps
 * of the user namespace the mount is mapped with: uid_map text, gid_map text, 1 when recursive.
 * The mount's own mappings win; the container's are the default, as the spec says.
 */
function mountExtraFields(m: Mount, spec: Spec, opts: ReturnType<typeof parseMountOptions>): (string | number)[] {
  const idmap = opts.extensions.includes('idmap') || opts.extensions.includes('ridmap') || (m.uidMappings?.length ?? 0) > 0 || (m.gidMappings?.length ?? 0) > 0;
  if (!idmap) return opts.recAttrSet || opts.recAttrClear ? [opts.recAttrSet, opts.recAttrClear] : [];
  const where = `mount ${JSON.stringify(m.destination)}`;
  if (!opts.bind) throw invalidArgument(`${where}: idmapped mounts must be bind mounts`);
  const uids = m.uidMappings?.length ? m.uidMappings : spec.linux?.uidMappings ?? [];
  const gids = m.gidMappings?.length ? m.gidMappings : spec.linux?.gidMappings ?? [];
  if (uids.length === 0 || gids.length === 0) {
    throw invalidArgument(`${where}: idmapped mount needs uidMappings and gidMappings (on the mount or in linux)`);
  }
  for (const map of [...uids, ...gids]) {
    if (![map.containerID, map.hostID, map.size].every((n) => Number.isInteger(n) && n >= 0) || map.size === 0) {
      throw invalidArgument(`${where}: invalid id mapping ${JSON.stringify(map)}`);
    }
  }
  const recursive = opts.extensions.includes('ridmap') ? 1 : 0;
  return [opts.recAttrSet, opts.recAttrClear, idMapText(uids), idMapText(gids), recursive];
}

function mountRecords(m: Mount, ctx: PlanContext, spec: Spec): PlanRecord[] {
  const dest = m.destination;
  if (!isAbsolute(dest)) throw invalidArgument(`mount ${JSON.stringify(dest)}: destination must be absolute`);
  const type = m.type ?? '';
  const opts = parseMountOptions(m.options ?? [], type);
  if (type === 'cgroup' || type === 'cgroup2') {
    // cgroup v1 without a cgroup namespace: a tmpfs with each hierarchy's container directory bound in
    const ro = (opts.flags & MS.RDONLY) !== 0;
    const recs: PlanRecord[] = [['mount', 'tmpfs', dest, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 0, 'mode=755']];
    for (const [name, host] of Object.entries(ctx.cgroupDirs ?? {})) {
      const flags = MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC | (ro ? MS.RDONLY : 0);
      recs.push(['mount', host, posix.join(dest, name), '', flags, 0, '']);
    }
    if (ro) recs.push(['mount', '', dest, '', MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, 0, 'mode=755']);
    return recs;
  }
  let source = m.source ?? '';
  if (opts.bind) {
    if (!source) throw invalidArgument(`mount ${JSON.stringify(dest)}: a bind mount needs a source`);
    if (!isAbsolute(source)) source = join(ctx.bundle, source);
    try {
      statSync(source);
    } catch {
      throw invalidArgument(`mount ${JSON.stringify(dest)}: source ${JSON.stringify(source)} does not exist`);
    }
  }
  const flags = opts.bind ? opts.flags & ~MS.REMOUNT : opts.flags;
  // one propagation change per mount: the last one given wins, as with mount(8)
  return [['mount', source, dest, opts.bind ? '' : type, flags, opts.propagation.at(-1) ?? 0, opts.data, ...mountExtraFields(m, spec, opts)]];
}

function deviceRecord(d: LinuxDevice): PlanRecord {
  if (!isAbsolute(d.path)) throw invalidArgument(`device ${JSON.stringify(d.path)}: path must be absolute`);
  if (!['c', 'b', 'u', 'p'].includes(d.type)) throw invalidArgument(`device ${JSON.stringify(d.path)}: type ${JSON.stringify(d.type)}`);
  return ['device', d.path, d.type === 'u' ? 'c' : d.type, d.major ?? 0, d.minor ?? 0, d.fileMode ?? 0o666, d.uid ?? 0, d.gid ?? 0];
}

/** The process part of a plan (shared by create and exec). */
export function processRecords(proc: Process, ctx: PlanContext): PlanRecord[] {
  const recs: PlanRecord[] = [];
  if (!proc.args || proc.args.length === 0) throw invalidArgument('process.args must not be empty');
  if (!proc.cwd || !proc.cwd.startsWith('/')) throw invalidArgument(`process.cwd ${JSON.stringify(proc.cwd ?? '')}: must be an absolute path`);
  for (const r of proc.rlimits ?? []) recs.push(['rlimit', rlimitResource(r.type), BigInt(r.soft).toString(), BigInt(r.hard).toString()]);
  if (proc.oomScoreAdj !== undefined) recs.push(['oom-score-adj', proc.oomScoreAdj]);
  if (proc.terminal) {
    recs.push(['terminal']);
    if (proc.consoleSize) recs.push(['console-size', proc.consoleSize.height, proc.consoleSize.width]);
  }
  recs.push(['user', proc.user.uid, proc.user.gid]);
  recs.push(['groups', ...(proc.user.additionalGids ?? [])]);
  if (proc.user.umask !== undefined) recs.push(['umask', proc.user.umask.toString(8)]);
  recs.push(['cwd', proc.cwd]);
  if (proc.capabilities) {
    const sets = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;
    const masks = sets.map((s) => {
      const names = proc.capabilities?.[s] ?? [];
      const clamped = clampToBoundingSet(names, ctx.bounding === undefined ? {} : { bounding: ctx.bounding });
      if (clamped.dropped.length > 0) ctx.warn?.(`capabilities ${clamped.dropped.join(',')} not in the bounding set: dropped from ${s}`);
      return capabilityMask(clamped.kept);
    });
    recs.push(['caps', ...masks.map((m) => m.toString(16))]);
  }
  if (proc.noNewPrivileges) recs.push(['nnp']);
  recs.push(['args', ...proc.args]);
  for (const e of proc.env ?? []) recs.push(['env', e]);
  return recs;
}

function monitorRecords(ctx: PlanContext): PlanRecord[] {
  const recs: PlanRecord[] = [['stdio', ctx.stdio.mode]];
  if (ctx.stdio.mode === 'pipe') {
    if (ctx.stdio.openStdin) recs.push(['stdin']);
    if (ctx.stdio.stdinOnce) recs.push(['stdin-once']);
    if (ctx.stdio.logPath) recs.push(['log', ctx.stdio.logPath, ctx.stdio.logMaxSize ?? 0, ctx.stdio.logMaxFiles ?? 1]);
  }
  if (ctx.consoleSocket) recs.push(['console-socket', ctx.consoleSocket]);
  recs.push(['control', ctx.files.control]);
  if (ctx.files.attach) recs.push(['attach', ctx.files.attach]);
  recs.push(['exit-file', ctx.files.exitFile]);
  if (ctx.files.pidFile) recs.push(['pid-file', ctx.files.pidFile]);
  if (ctx.files.hookState) recs.push(['hook-state', ctx.files.hookState]);
  if (ctx.autostart) recs.push(['autostart']);
  if (ctx.preserveFds) recs.push(['preserve-fds', ctx.preserveFds]);
  for (const file of ctx.cgroupJoin ?? []) recs.push(['cgroup-join', file]);
  return recs;
}

/** Compiles a validated spec into the launch plan for a new container. */
export function compilePlan(spec: Spec, ctx: PlanContext): PlanRecord[] {
  const recs: PlanRecord[] = [['version', 1], ['mode', 'create']];
  const proc = spec.process;
  if (!proc) throw invalidArgument('process: missing');
  if (!spec.root?.path) throw invalidArgument('root.path: missing');
  const namespaces = planNamespaces(spec);
  const has = (n: string) => namespaces.some(([name]) => name === n);
  const isNew = (n: string) => namespaces.some(([name, path]) => name === n && path === '');
  if (!isNew('mnt')) throw invalidArgument('linux.namespaces: a new mount namespace is required');
  for (const [name, path] of namespaces) recs.push(['ns', name, path]);
  if (isNew('user')) {
    const uids = spec.linux?.uidMappings ?? [];
    const gids = spec.linux?.gidMappings ?? [];
    if (uids.length === 0 || gids.length === 0) throw invalidArgument('linux.uidMappings/gidMappings: required with a new user namespace');
    for (const m of uids) recs.push(['uidmap', m.containerID, m.hostID, m.size]);
    for (const m of gids) recs.push(['gidmap', m.containerID, m.hostID, m.size]);
  } else if (has('user')) {
    recs.push(['userns-root']);
  }
  if (spec.hostname && !isNew('uts')) throw invalidArgument('hostname: needs a new uts namespace');
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : join(ctx.bundle, spec.root.path);
  recs.push(['rootfs', rootfs]);
  const prop = spec.linux?.rootfsPropagation ? parsePropagation(spec.linux.rootfsPropagation) : MS.SLAVE | MS.REC;
  recs.push(['rootfs-propagation', prop]);
  let devTmpfs = false;
  for (const m of spec.mounts ?? []) {
    recs.push(...mountRecords(m, ctx, spec));
    if (posix.normalize(m.destination) === '/dev') devTmpfs = !parseMountOptions(m.options ?? [], m.type).bind;
  }
  const devices = [...(devTmpfs ? ociDefaultDevices : []), ...(spec.linux?.devices ?? [])];
  const seen = new Set<string>();
  for (const d of devices) {
    if (seen.has(d.path)) continue;
    seen.add(d.path);
    recs.push(deviceRecord(d));
  }
  if (devTmpfs) {
    recs.push(['symlink', '/proc/self/fd', '/dev/fd'], ['symlink', '/proc/self/fd/0', '/dev/stdin']);
    recs.push(['symlink', '/proc/self/fd/1', '/dev/stdout'], ['symlink', '/proc/self/fd/2', '/dev/stderr']);
    if ((spec.mounts ?? []).some((m) => posix.normalize(m.destination) === '/dev/pts')) recs.push(['symlink', 'pts/ptmx', '/dev/ptmx']);
  }
  recs.push(...hookRecords('createContainer', spec.hooks?.createContainer));
  for (const [k, v] of Object.entries(spec.linux?.sysctl ?? {})) {
    if (k.includes('/') || k.includes('..')) throw invalidArgument(`sysctl ${JSON.stringify(k)}: bad name`);
    recs.push(['sysctl', k.replaceAll('.', '/'), v]);
  }
  if (spec.hostname) recs.push(['hostname', spec.hostname]);
  if (spec.domainname) recs.push(['domainname', spec.domainname]);
  for (const p of spec.linux?.readonlyPaths ?? []) recs.push(['readonly', p]);
  for (const p of spec.linux?.maskedPaths ?? []) recs.push(['masked', p]);
  if (spec.root.readonly) recs.push(['readonly-rootfs']);
  recs.push(...processRecords(proc, ctx));
  recs.push(...hookRecords('startContainer', spec.hooks?.startContainer));
  if (spec.linux?.seccomp) {
    const compiled = compiledSeccompRecord(spec.linux.seccomp);
    recs.push(['seccomp', compiled.flags, compiled.hex]);
  }
  recs.push(...monitorRecords(ctx));
  return recs;
}

/** The plan for a process joining a running container (exec). */
export function compileExecPlan(spec: Spec, proc: Process, pid: number, ctx: PlanContext): PlanRecord[] {
  const recs: PlanRecord[] = [['version', 1], ['mode', 'exec']];
  const namespaces = planNamespaces(spec);
  for (const [name] of namespaces) recs.push(['ns', name, `/proc/${pid}/ns/${name}`]);
  if (namespaces.some(([n]) => n === 'user')) recs.push(['userns-root']);
  recs.push(...processRecords(proc, ctx));
  if (spec.linux?.seccomp) {
    const compiled = compiledSeccompRecord(spec.linux.seccomp);
    recs.push(['seccomp', compiled.flags, compiled.hex]);
  }
  recs.push(...monitorRecords({ ...ctx, autostart: ctx.autostart ?? true }));
  return recs;
}

export { CAP_LAST_CAP };

/**
 * The compiled filter of a seccomp section, as the plan records it. Every container of a daemon
 * usually carries the same profile (docker's default for the same capabilities): a few entries
 * are remembered, keyed by the section's JSON, so the filter is compiled once, not per start.
 */
const seccompCache = new Map<string, { flags: number; hex: string }>();
function compiledSeccompRecord(seccomp: LinuxSeccomp): { flags: number; hex: string } {
  const key = JSON.stringify(seccomp);
  const hit = seccompCache.get(key);
  if (hit) return hit;
  const compiled = compileSeccomp(seccomp);
  const rec = { flags: compiled.flags, hex: compiled.program.toString('hex') };
  if (seccompCache.size >= 8) seccompCache.delete(seccompCache.keys().next().value as string);
  seccompCache.set(key, rec);
  return rec;
}
