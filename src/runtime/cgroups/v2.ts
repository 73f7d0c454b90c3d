import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { errorCode, failedPrecondition, invalidArgument, nullLogger, unavailable, wrap } from '../../lib/index.ts';
import type { Logger } from '../../lib/index.ts';
import type { LinuxResources } from '../spec/index.ts';
import type { BlkioEntry, CgroupStats, ContainerCgroupManager } from './manager.ts';
import {
  collectPids, hasFile, killAll, optional, parseKeyValues, readCgroupFile, readNumber, readOptional, removeCgroupDir,
  waitUntil, writeCgroupFile,
} from './fs-util.ts';
import { detectCgroupMode, ownCgroups, resolveCgroupsPath } from './paths.ts';
import { setDeviceProgram } from './devices-v2.ts';

export interface CgroupV2Options {
  id?: string;
  /** The cgroup2 mount (default: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one). */
  root?: string;
  /** The cgroup a relative cgroupsPath is joined to (default: this process's, from /proc/self/cgroup). */
  ownCgroup?: string;
  logger?: Logger;
  timeoutMs?: number;
}

/**
 * cgroup v2 "cpu.weight" (1..10000) of v1 "cpu.shares" (2..262144), as crun converts it: a
 * curve through (2, 1), (1024, 100) and (262144, 10000), so the default 1024 shares maps to
 * the default weight 100.
 */
export function sharesToWeight(shares: number): number {
  if (shares <= 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** io.weight (1..10000) of a blkio weight (10..1000), linearly, as runc and crun convert it. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight <= 0) return 0;
  return Math.round(1 + ((weight - 10) * 9999) / 990);
}

/**
 * memory.swap.max of the OCI memory limits: OCI `swap` is memory+swap (v1 memsw), v2 limits
 * swap alone, so it is swap - limit; -1 (unlimited) stays "max".
 */
export function swapToV2(limit: number | undefined, swap: number): string {
  if (swap < 0) return 'max';
  if (limit === undefined || limit <= 0) throw invalidArgument('cgroup set: memory.swap needs memory.limit on cgroup v2');
  if (swap < limit) throw invalidArgument(`cgroup set: memory.swap (${swap}) must be at least memory.limit (${limit})`);
  return String(swap - limit);
}

/** The default cgroup2 mount of this host. */
export function defaultV2Root(): string {
  return detectCgroupMode('/sys/fs/cgroup') === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
}

/** cgroup v2 (unified): one directory; controllers enabled down the tree via cgroup.subtree_control. */
export class CgroupV2Manager implements ContainerCgroupManager {
  /** The container's cgroup directory. */
  readonly path: string;
  readonly root: string;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(cgroupsPath: string | undefined, options: CgroupV2Options = {}) {
    this.root = options.root ?? defaultV2Root();
    const relativePath = cgroupsPath !== undefined && cgroupsPath !== '' && !cgroupsPath.startsWith('/') && !cgroupsPath.includes(':');
    const parent = options.ownCgroup ?? (relativePath ? ownCgroups()[''] ?? '/' : '/');
    this.path = join(this.root, resolveCgroupsPath(cgroupsPath, { ...(options.id ? { id: options.id } : {}), parent }));
    this.logger = options.logger ?? nullLogger;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Controllers available at the root of this mount. */
  availableControllers(): string[] {
    return (readOptional(this.root, 'cgroup.controllers') ?? '').trim().split(/\s+/).filter(Boolean);
  }

  apply(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw invalidArgument(`cgroup apply: invalid pid ${pid}`);
    this.create();
    writeCgroupFile(this.path, 'cgroup.procs', String(pid));
  }

  procsFiles(): string[] {
    return [join(this.path, 'cgroup.procs')];
  }

  /** Creates the cgroup, enabling every available controller in each ancestor's subtree_control. */
  create(): void {
    const parts = relative(this.root, this.path).split('/');
    let cur = this.root;
    for (const part of parts) {
      const controllers = (readOptional(cur, 'cgroup.controllers') ?? '').trim().split(/\s+/).filter(Boolean);
      const enabled = new Set((readOptional(cur, 'cgroup.subtree_control') ?? '').trim().split(/\s+/).filter(Boolean));
      const missing = controllers.filter((c) => !enabled.has(c));
      if (missing.length > 0) this.enable(cur, missing);
      cur = join(cur, part);
      if (!existsSync(cur)) {
        try {
          mkdirSync(cur);
        } catch (err) {
          if (errorCode(err) !== 'already-exists') throw wrap(err, `create cgroup ${JSON.stringify(cur)}`);
        }
      }
    }
  }

  private enable(dir: string, controllers: string[]): void {
    try {
      writeCgroupFile(dir, 'cgroup.subtree_control', controllers.map((c) => `+${c}`).join(' '));
      return;
    } catch {
      // one at a time, so one refused controller (busy, threaded...) does not block the rest
    }
    for (const c of controllers) {
      try {
        writeCgroupFile(dir, 'cgroup.subtree_control', `+${c}`);
      } catch (err) {
        this.logger.warn('cannot enable cgroup controller', { dir, controller: c, error: err });
      }
    }
  }

  set(r: LinuxResources): void {
    const dir = this.path;
    if (!existsSync(dir)) throw failedPrecondition(`cgroup set: ${JSON.stringify(dir)} does not exist (apply first)`);
    const m = r.memory;
    if (m) {
      const limit = m.limit !== undefined && m.limit !== 0 ? m.limit : undefined;
      if (limit !== undefined) writeCgroupFile(dir, 'memory.max', limit < 0 ? 'max' : String(limit));
      if (m.reservation !== undefined && m.reservation !== 0) writeCgroupFile(dir, 'memory.low', m.reservation < 0 ? 'max' : String(m.reservation));
      if (m.swap !== undefined && m.swap !== 0) writeCgroupFile(dir, 'memory.swap.max', swapToV2(limit, m.swap));
      if (m.disableOOMKiller) this.logger.warn('memory.disableOOMKiller is not supported on cgroup v2, ignored', { dir });
      if (m.swappiness !== undefined && m.swappiness >= 0) this.logger.warn('memory.swappiness is not supported on cgroup v2, ignored', { dir });
      if (m.kernel || m.kernelTCP) this.logger.warn('kernel memory limits are not supported on cgroup v2, ignored', { dir });
    }
    const c = r.cpu;
    if (c) {
      if (c.realtimeRuntime || c.realtimePeriod) throw invalidArgument('cgroup set: realtime cpu limits are not supported on cgroup v2');
      if (c.shares) writeCgroupFile(dir, 'cpu.weight', String(sharesToWeight(c.shares)));
      if ((c.quota !== undefined && c.quota !== 0) || c.period) {
        const [curQuota = 'max', curPeriod = '100000'] = (readOptional(dir, 'cpu.max') ?? '').trim().split(/\s+/).filter(Boolean);
        const quota = c.quota !== undefined && c.quota !== 0 ? (c.quota > 0 ? String(c.quota) : 'max') : curQuota;
        const period = c.period ? String(c.period) : curPeriod;
        writeCgroupFile(dir, 'cpu.max', `${quota} ${period}`);
      }
      if (c.burst !== undefined) writeCgroupFile(dir, 'cpu.max.burst', String(c.burst));
      if (c.idle !== undefined) writeCgroupFile(dir, 'cpu.idle', String(c.idle));
      if (c.cpus) writeCgroupFile(dir, 'cpuset.cpus', c.cpus);
      if (c.mems) writeCgroupFile(dir, 'cpuset.mems', c.mems);
    }
    if (r.pids) writeCgroupFile(dir, 'pids.max', r.pids.limit > 0 ? String(r.pids.limit) : 'max');
    const b = r.blockIO;
    if (b) {
      const bfq = hasFile(dir, 'io.bfq.weight');
      if (b.weight) {
        if (bfq) writeCgroupFile(dir, 'io.bfq.weight', String(b.weight));
        else writeCgroupFile(dir, 'io.weight', String(blkioWeightToIoWeight(b.weight)));
      }
      for (const d of b.weightDevice ?? []) {
        if (d.weight === undefined) continue;
        if (bfq) writeCgroupFile(dir, 'io.bfq.weight', `${d.major}:${d.minor} ${d.weight}`);
        else writeCgroupFile(dir, 'io.weight', `${d.major}:${d.minor} ${blkioWeightToIoWeight(d.weight)}`);
      }
      const throttles: [keyof typeof b, string][] = [
        ['throttleReadBpsDevice', 'rbps'],
        ['throttleWriteBpsDevice', 'wbps'],
        ['throttleReadIOPSDevice', 'riops'],
        ['throttleWriteIOPSDevice', 'wiops'],
      ];
      for (const [key, name] of throttles) {
        for (const d of (b[key] as { major: number; minor: number; rate: number }[] | undefined) ?? []) {
          writeCgroupFile(dir, 'io.max', `${d.major}:${d.minor} ${name}=${d.rate === 0 ? 'max' : d.rate}`);
        }
      }
    }
    for (const h of r.hugepageLimits ?? []) writeCgroupFile(dir, `hugetlb.${h.pageSize}.max`, String(h.limit));
    if (r.devices) setDeviceProgram(dir, r.devices);
    if (r.network && (r.network.classID !== undefined || r.network.priorities?.length)) {
      this.logger.warn('network classID/priorities are not supported on cgroup v2, ignored', { dir });
    }
    for (const [key, value] of Object.entries(r.unified ?? {})) {
      if (key.includes('/') || key.startsWith('.') || key === '') throw invalidArgument(`cgroup set: unified: invalid key ${JSON.stringify(key)}`);
      // cgroupfs refuses to create files (EACCES), so a missing controller file is told apart first
      if (!hasFile(dir, key)) {
        const ctrl = key.split('.')[0] ?? key;
        throw invalidArgument(`cgroup set: unified: ${JSON.stringify(key)}: no such file (is the ${ctrl} controller enabled?)`);
      }
      writeCgroupFile(dir, key, value);
    }
  }

  async freeze(frozen: boolean): Promise<void> {
    const dir = this.path;
    writeCgroupFile(dir, 'cgroup.freeze', frozen ? '1' : '0');
    const want = frozen ? 1 : 0;
    const ok = await waitUntil(() => parseKeyValues(readCgroupFile(dir, 'cgroup.events'))['frozen'] === want, this.timeoutMs);
    if (!ok) {
      if (frozen) writeCgroupFile(dir, 'cgroup.freeze', '0');
      throw unavailable(`cgroup freeze ${JSON.stringify(dir)}: still not ${frozen ? 'frozen' : 'thawed'} after ${this.timeoutMs}ms`);
    }
  }

  /** Whether the cgroup is frozen (cgroup.events "frozen 1"). */
  isFrozen(): boolean {
    return parseKeyValues(readOptional(this.path, 'cgroup.events'))['frozen'] === 1;
  }

  oomKilled(): boolean {
    return (parseKeyValues(readOptional(this.path, 'memory.events'))['oom_kill'] ?? 0) > 0;
  }

  dirs(): Record<string, string> {
    return { unified: this.path };
  }

  stats(): CgroupStats {
    const dir = this.path;
    const out: CgroupStats = {};
    if (hasFile(dir, 'memory.current')) {
      const stat = parseKeyValues(readOptional(dir, 'memory.stat'));
      const events = parseKeyValues(readOptional(dir, 'memory.events'));
      out.memory = {
        usage: readNumber(dir, 'memory.current') ?? 0,
        stat,
        ...optional('maxUsage', readNumber(dir, 'memory.peak')),
        ...optional('limit', readNumber(dir, 'memory.max')),
        ...optional('cache', stat['file']),
        ...optional('swapUsage', readNumber(dir, 'memory.swap.current')),
        ...optional('failcnt', events['max']),
        ...optional('oomKills', events['oom_kill']),
      };
    }
    const cpu = parseKeyValues(readOptional(dir, 'cpu.stat'));
    if (cpu['usage_usec'] !== undefined) {
      out.cpu = {
        usageTotal: cpu['usage_usec'] * 1000,
        ...optional('usageUser', cpu['user_usec'] !== undefined ? cpu['user_usec'] * 1000 : undefined),
        ...optional('usageSystem', cpu['system_usec'] !== undefined ? cpu['system_usec'] * 1000 : undefined),
      };
      if (cpu['nr_periods'] !== undefined) {
        out.cpu.throttling = { periods: cpu['nr_periods'], throttledPeriods: cpu['nr_throttled'] ?? 0, throttledTime: (cpu['throttled_usec'] ?? 0) * 1000 };
      }
    }
    if (hasFile(dir, 'pids.current')) {
      out.pids = { current: readNumber(dir, 'pids.current') ?? 0, ...optional('limit', readNumber(dir, 'pids.max')) };
    }
    const io = readOptional(dir, 'io.stat');
    if (io !== undefined) {
      const bytes: BlkioEntry[] = [];
      const ops: BlkioEntry[] = [];
      for (const line of io.split('\n')) {
        const m = /^(\d+):(\d+)\s+(.*)$/.exec(line.trim());
        if (!m) continue;
        const kv = Object.fromEntries(m[3]!.split(/\s+/).map((p) => p.split('=') as [string, string]));
        const dev = { major: Number(m[1]), minor: Number(m[2]) };
        bytes.push({ ...dev, op: 'Read', value: Number(kv['rbytes'] ?? 0) }, { ...dev, op: 'Write', value: Number(kv['wbytes'] ?? 0) });
        ops.push({ ...dev, op: 'Read', value: Number(kv['rios'] ?? 0) }, { ...dev, op: 'Write', value: Number(kv['wios'] ?? 0) });
      }
      out.blkio = { ioServiceBytes: bytes, ioServiced: ops };
    }
    return out;
  }

  pids(): number[] {
    return [...new Set(collectPids(this.path))].sort((a, b) => a - b);
  }

  async remove(): Promise<void> {
    const dir = this.path;
    if (!existsSync(dir)) return;
    let pids = this.pids();
    if (pids.length > 0) {
      if (hasFile(dir, 'cgroup.kill')) writeCgroupFile(dir, 'cgroup.kill', '1');
      else killAll(pids);
      const gone = await waitUntil(() => {
        pids = this.pids();
        if (pids.length > 0) killAll(pids);
        return pids.length === 0;
      }, this.timeoutMs);
      if (!gone) throw unavailable(`remove cgroup: processes ${pids.join(', ')} still running`);
    }
    await removeCgroupDir(dir);
  }
}
