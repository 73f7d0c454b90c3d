import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { failedPrecondition, invalidArgument, nullLogger, unavailable, wrap } from '../../lib/index.ts';
import type { Logger } from '../../lib/index.ts';
import type { LinuxDeviceCgroup, LinuxResources } from '../spec/index.ts';
import type { BlkioEntry, CgroupStats, ContainerCgroupManager } from './manager.ts';
import {
  collectPids, hasFile, killAll, optional, parseKeyValues, readCgroupFile, readNumber, readOptional, removeCgroupDir,
  waitUntil, writeCgroupFile, writeCgroupLines,
} from './fs-util.ts';
import { ownCgroups, resolveCgroupsPath, v1Hierarchies } from './paths.ts';

export interface CgroupV1Options {
  /** Container id (for an empty cgroupsPath). */
  id?: string;
  /** controller → hierarchy mount point; default: the cgroup mounts of /proc/self/mountinfo. */
  hierarchies?: Record<string, string>;
  /** controller → own cgroup, for relative cgroupsPath; default /proc/self/cgroup. */
  ownCgroups?: Record<string, string>;
  logger?: Logger;
  /** How long freeze/remove wait for the kernel (ms). */
  timeoutMs?: number;
}

/** cpuset parents (below a hierarchy's root) known to have clone_children set. */
const cloningParents = new Set<string>();

/**
 * Gives the new cpuset cgroup `dir` its parent's cpus and mems when the kernel did not. A parent
 * this process made itself (`ours`) gets clone_children, so that its next children have them
 * from mkdir; the flag is never set on a parent made by someone else (a cgroup parent given by
 * the user, the host's root).
 */
function inheritCpuset(mount: string, parent: string, dir: string, ours: boolean): void {
  // one read checks the kernel did it (the parent may have been made again without the flag)
  if (cloningParents.has(parent) && readCgroupFile(dir, 'cpuset.cpus').trim() !== '') return;
  cloningParents.delete(parent);
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (readCgroupFile(dir, file).trim() === '') writeCgroupFile(dir, file, readCgroupFile(parent, file).trim());
  }
  if (parent === mount) return;
  const cloning = readCgroupFile(parent, 'cgroup.clone_children').trim() === '1';
  if (!cloning && ours) writeCgroupFile(parent, 'cgroup.clone_children', '1');
  if (cloning || ours) cloningParents.add(parent);
}

/** The unlimited value v1 files take. */
const UNLIMITED = '-1';
/** USER_HZ: cpuacct.stat counts in clock ticks of 1/100 s. */
const NS_PER_TICK = 10_000_000;

/**
 * cgroup v1 (legacy and hybrid hosts): one directory per hierarchy (memory, cpu, cpuacct,
 * cpuset, pids, blkio, freezer, devices, hugetlb, net_cls, net_prio, name=systemd...), all at
 * the same cgroup path.
 */
export class CgroupV1Manager implements ContainerCgroupManager {
  /** controller → the container's directory in that hierarchy. */
  readonly paths: Readonly<Record<string, string>>;
  private readonly mounts: Readonly<Record<string, string>>;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(cgroupsPath: string | undefined, options: CgroupV1Options = {}) {
    this.mounts = options.hierarchies ?? v1Hierarchies();
    if (Object.keys(this.mounts).length === 0) throw unavailable('cgroup v1: no hierarchy mounted');
    const own = options.ownCgroups ?? (cgroupsPath && !cgroupsPath.startsWith('/') && !cgroupsPath.includes(':') ? ownCgroups() : {});
    const paths: Record<string, string> = {};
    for (const [ctrl, mount] of Object.entries(this.mounts)) {
      const p = resolveCgroupsPath(cgroupsPath, { ...(options.id ? { id: options.id } : {}), parent: own[ctrl] ?? '/' });
      paths[ctrl] = join(mount, p);
    }
    this.paths = paths;
    this.logger = options.logger ?? nullLogger;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The directories to create, one per hierarchy (co-mounted controllers share one). */
  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.paths))];
  }

  private dir(ctrl: string): string | undefined {
    return this.paths[ctrl];
  }

  create(): void {
    for (const [ctrl, dir] of Object.entries(this.paths)) this.createDir(ctrl, dir);
  }

  procsFiles(): string[] {
    return this.uniqueDirs().map((dir) => join(dir, 'cgroup.procs'));
  }

  apply(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw invalidArgument(`cgroup apply: invalid pid ${pid}`);
    this.create();
    for (const dir of this.uniqueDirs()) writeCgroupFile(dir, 'cgroup.procs', String(pid));
  }

  private createDir(ctrl: string, dir: string): void {
    const mount = this.mounts[ctrl]!;
    if (!ctrl.split(',').includes('cpuset')) {
      try {
        mkdirSync(dir, { recursive: true }); // one mkdir(2) for a new cgroup, nothing for an existing one
      } catch (err) {
        throw wrap(err, `create cgroup ${JSON.stringify(dir)}`);
      }
      return;
    }
    // A new cpuset cgroup starts with empty cpus and mems and refuses tasks: it takes its
    // parent's, from the kernel once the parent has clone_children set, else copied here.
    try {
      mkdirSync(dir); // the common case: the parent exists
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (code !== 'ENOENT') throw wrap(err, `create cgroup ${JSON.stringify(dir)}`);
      let cur = mount;
      let parentIsOurs = false;
      for (const part of relative(mount, dir).split('/')) {
        const parent = cur;
        cur = join(cur, part);
        if (existsSync(cur)) continue;
        try {
          mkdirSync(cur);
        } catch (e) {
          throw wrap(e, `create cgroup ${JSON.stringify(cur)}`);
        }
        inheritCpuset(mount, parent, cur, parentIsOurs);
        parentIsOurs = true;
      }
      return;
    }
    inheritCpuset(mount, dirname(dir), dir, false);
  }

  set(r: LinuxResources): void {
    if (r.unified && Object.keys(r.unified).length > 0) {
      throw invalidArgument('cgroup set: linux.resources.unified needs cgroup v2, and this host uses cgroup v1');
    }
    const need = (ctrl: string, what: string): string | undefined => {
      const dir = this.dir(ctrl);
      if (!dir) this.logger.warn('cgroup controller not mounted, resource ignored', { controller: ctrl, resource: what });
      else if (!existsSync(dir)) throw failedPrecondition(`cgroup set: ${JSON.stringify(dir)} does not exist (apply first)`);
      return dir;
    };
    if (r.memory) {
      const dir = need('memory', 'memory');
      if (dir) this.setMemory(dir, r.memory);
    }
    if (r.cpu) {
      const c = r.cpu;
      const cpuDir = c.shares !== undefined || c.quota !== undefined || c.period !== undefined || c.burst !== undefined ||
        c.realtimePeriod !== undefined || c.realtimeRuntime !== undefined || c.idle !== undefined ? need('cpu', 'cpu') : undefined;
      if (cpuDir) {
        if (c.shares) writeCgroupFile(cpuDir, 'cpu.shares', String(c.shares));
        if (c.period) writeCgroupFile(cpuDir, 'cpu.cfs_period_us', String(c.period));
        if (c.quota !== undefined && c.quota !== 0) writeCgroupFile(cpuDir, 'cpu.cfs_quota_us', String(c.quota > 0 ? c.quota : -1));
        if (c.burst !== undefined) writeCgroupFile(cpuDir, 'cpu.cfs_burst_us', String(c.burst));
        if (c.realtimePeriod) writeCgroupFile(cpuDir, 'cpu.rt_period_us', String(c.realtimePeriod));
        if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== 0) writeCgroupFile(cpuDir, 'cpu.rt_runtime_us', String(c.realtimeRuntime));
        if (c.idle !== undefined && hasFile(cpuDir, 'cpu.idle')) writeCgroupFile(cpuDir, 'cpu.idle', String(c.idle));
      }
      const setDir = c.cpus || c.mems ? need('cpuset', 'cpuset') : undefined;
      if (setDir) {
        if (c.cpus) writeCgroupFile(setDir, 'cpuset.cpus', c.cpus);
        if (c.mems) writeCgroupFile(setDir, 'cpuset.mems', c.mems);
      }
    }
    if (r.pids) {
      const dir = need('pids', 'pids');
      if (dir) writeCgroupFile(dir, 'pids.max', r.pids.limit > 0 ? String(r.pids.limit) : 'max');
    }
    if (r.blockIO) {
      const dir = need('blkio', 'blockIO');
      if (dir) this.setBlkio(dir, r.blockIO);
    }
    if (r.devices) {
      const dir = need('devices', 'devices');
      if (dir) this.setDevices(dir, r.devices);
    }
    if (r.hugepageLimits && r.hugepageLimits.length > 0) {
      const dir = need('hugetlb', 'hugepageLimits');
      if (dir) for (const h of r.hugepageLimits) writeCgroupFile(dir, `hugetlb.${h.pageSize}.limit_in_bytes`, String(h.limit));
    }
    if (r.network) {
      if (r.network.classID !== undefined) {
        const dir = need('net_cls', 'network.classID');
        if (dir) writeCgroupFile(dir, 'net_cls.classid', String(r.network.classID));
      }
      if (r.network.priorities?.length) {
        const dir = need('net_prio', 'network.priorities');
        if (dir) for (const p of r.network.priorities) writeCgroupFile(dir, 'net_prio.ifpriomap', `${p.name} ${p.priority}`);
      }
    }
  }

  private setMemory(dir: string, m: NonNullable<LinuxResources['memory']>): void {
    const str = (n: number) => (n < 0 ? UNLIMITED : String(n));
    // memsw (memory+swap) must stay >= the memory limit: raise memsw first when the new limit
    // would exceed the current memsw, lower the limit first otherwise.
    const hasSwap = m.swap !== undefined && m.swap !== 0 && hasFile(dir, 'memory.memsw.limit_in_bytes');
    if (m.swap !== undefined && m.swap !== 0 && !hasSwap) this.logger.warn('swap accounting not enabled, memory.swap ignored', { dir });
    const limit = m.limit !== undefined && m.limit !== 0 ? m.limit : undefined;
    if (hasSwap) {
      const currentSwap = readNumber(dir, 'memory.memsw.limit_in_bytes') ?? Number.MAX_SAFE_INTEGER;
      const swap = m.swap!;
      const swapFirst = swap < 0 || limit === undefined || limit < 0 || limit > currentSwap || swap > currentSwap;
      if (swapFirst) {
        writeCgroupFile(dir, 'memory.memsw.limit_in_bytes', str(swap));
        if (limit !== undefined) writeCgroupFile(dir, 'memory.limit_in_bytes', str(limit));
      } else {
        if (limit !== undefined) writeCgroupFile(dir, 'memory.limit_in_bytes', str(limit));
        writeCgroupFile(dir, 'memory.memsw.limit_in_bytes', str(swap));
      }
    } else if (limit !== undefined) {
      writeCgroupFile(dir, 'memory.limit_in_bytes', str(limit));
    }
    if (m.reservation !== undefined && m.reservation !== 0) writeCgroupFile(dir, 'memory.soft_limit_in_bytes', str(m.reservation));
    if (m.kernel !== undefined && m.kernel !== 0) this.logger.warn('memory.kernel is deprecated and ignored', { dir });
    if (m.kernelTCP !== undefined && m.kernelTCP !== 0) writeCgroupFile(dir, 'memory.kmem.tcp.limit_in_bytes', str(m.kernelTCP));
    if (m.swappiness !== undefined && m.swappiness >= 0) {
      if (hasFile(dir, 'memory.swappiness')) writeCgroupFile(dir, 'memory.swappiness', String(m.swappiness));
      else this.logger.warn('memory.swappiness not supported by this kernel', { dir });
    }
    if (m.disableOOMKiller) writeCgroupFile(dir, 'memory.oom_control', '1');
  }

  private setBlkio(dir: string, b: NonNullable<LinuxResources['blockIO']>): void {
    // Kernels with BFQ and without CFQ expose only blkio.bfq.weight[_device].
    const weightFile = hasFile(dir, 'blkio.weight') ? 'blkio.weight' : hasFile(dir, 'blkio.bfq.weight') ? 'blkio.bfq.weight' : undefined;
    if (b.weight !== undefined && b.weight !== 0) {
      if (weightFile) writeCgroupFile(dir, weightFile, String(b.weight));
      else this.logger.warn('blkio weight not supported by this kernel (no CFQ/BFQ)', { dir });
    }
    if (b.leafWeight !== undefined && b.leafWeight !== 0) {
      if (hasFile(dir, 'blkio.leaf_weight')) writeCgroupFile(dir, 'blkio.leaf_weight', String(b.leafWeight));
      else this.logger.warn('blkio leaf weight not supported by this kernel', { dir });
    }
    for (const d of b.weightDevice ?? []) {
      if (d.weight !== undefined) {
        if (weightFile) writeCgroupFile(dir, `${weightFile}_device`, `${d.major}:${d.minor} ${d.weight}`);
        else this.logger.warn('blkio weight_device not supported by this kernel', { dir });
      }
      if (d.leafWeight !== undefined && hasFile(dir, 'blkio.leaf_weight_device')) {
        writeCgroupFile(dir, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
      }
    }
    const throttles: [keyof typeof b, string][] = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ];
    for (const [key, file] of throttles) {
      for (const d of (b[key] as { major: number; minor: number; rate: number }[] | undefined) ?? []) {
        writeCgroupFile(dir, file, `${d.major}:${d.minor} ${d.rate}`);
      }
    }
  }

  private setDevices(dir: string, rules: readonly LinuxDeviceCgroup[]): void {
    const writes: [string, string][] = [['devices.deny', 'a']];
    for (const rule of rules) writes.push([rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleLine(rule)]);
    writeCgroupLines(dir, writes);
  }

  async freeze(frozen: boolean): Promise<void> {
    const dir = this.dir('freezer');
    if (!dir) throw unavailable('cgroup freeze: the freezer hierarchy is not mounted');
    const want = frozen ? 'FROZEN' : 'THAWED';
    let tries = 0;
    const ok = await waitUntil(() => {
      // A freeze can stall on a task in an uninterruptible sleep: write the state again now and then.
      if (tries++ % 10 === 0) writeCgroupFile(dir, 'freezer.state', want);
      return readCgroupFile(dir, 'freezer.state').trim() === want;
    }, this.timeoutMs);
    if (!ok) {
      if (frozen) writeCgroupFile(dir, 'freezer.state', 'THAWED');
      throw unavailable(`cgroup freeze ${JSON.stringify(dir)}: still not ${want} after ${this.timeoutMs}ms`);
    }
  }

  /** The current freezer state ("FROZEN", "THAWED", "FREEZING"), or undefined without a freezer. */
  freezerState(): string | undefined {
    const dir = this.dir('freezer');
    return dir ? readOptional(dir, 'freezer.state')?.trim() : undefined;
  }

  isFrozen(): boolean {
    return this.freezerState() === 'FROZEN';
  }

  oomKilled(): boolean {
    const mem = this.dir('memory');
    return mem !== undefined && (parseKeyValues(readOptional(mem, 'memory.oom_control'))['oom_kill'] ?? 0) > 0;
  }

  dirs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [ctrl, dir] of Object.entries(this.paths)) out[ctrl.replace(/^name=/, '')] = dir;
    return out;
  }

  stats(): CgroupStats {
    const out: CgroupStats = {};
    const mem = this.dir('memory');
    if (mem && existsSync(mem)) {
      const stat = parseKeyValues(readOptional(mem, 'memory.stat'));
      const limit = readNumber(mem, 'memory.limit_in_bytes');
      const memsw = readNumber(mem, 'memory.memsw.usage_in_bytes');
      const usage = readNumber(mem, 'memory.usage_in_bytes') ?? 0;
      const oom = parseKeyValues(readOptional(mem, 'memory.oom_control'));
      out.memory = {
        usage,
        stat,
        ...optional('maxUsage', readNumber(mem, 'memory.max_usage_in_bytes')),
        // the kernel reports "no limit" as the largest page-aligned signed 64-bit value
        ...optional('limit', limit !== undefined && limit < 2 ** 62 ? limit : undefined),
        ...optional('cache', stat['cache'] ?? stat['total_cache']),
        ...optional('swapUsage', memsw !== undefined ? Math.max(0, memsw - usage) : undefined),
        ...optional('failcnt', readNumber(mem, 'memory.failcnt')),
        ...optional('oomKills', oom['oom_kill']),
      };
    }
    const acct = this.dir('cpuacct');
    const cpu = this.dir('cpu');
    if (acct && existsSync(acct)) {
      const ticks = parseKeyValues(readOptional(acct, 'cpuacct.stat'));
      const perCpu = readOptional(acct, 'cpuacct.usage_percpu')?.trim().split(/\s+/).filter(Boolean).map(Number);
      out.cpu = {
        usageTotal: readNumber(acct, 'cpuacct.usage') ?? 0,
        ...optional('usageUser', ticks['user'] !== undefined ? ticks['user'] * NS_PER_TICK : undefined),
        ...optional('usageSystem', ticks['system'] !== undefined ? ticks['system'] * NS_PER_TICK : undefined),
        ...optional('perCpu', perCpu),
      };
      if (cpu && existsSync(cpu)) {
        const t = parseKeyValues(readOptional(cpu, 'cpu.stat'));
        out.cpu.throttling = { periods: t['nr_periods'] ?? 0, throttledPeriods: t['nr_throttled'] ?? 0, throttledTime: t['throttled_time'] ?? 0 };
      }
    }
    const pids = this.dir('pids');
    if (pids && existsSync(pids)) {
      out.pids = { current: readNumber(pids, 'pids.current') ?? 0, ...optional('limit', readNumber(pids, 'pids.max')) };
    }
    const blkio = this.dir('blkio');
    if (blkio && existsSync(blkio)) {
      const pick = (...files: string[]) => {
        for (const f of files) {
          const entries = parseBlkio(readOptional(blkio, f));
          if (entries.length > 0) return entries;
        }
        return [];
      };
      out.blkio = {
        ioServiceBytes: pick('blkio.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes'),
        ioServiced: pick('blkio.io_serviced_recursive', 'blkio.throttle.io_serviced_recursive', 'blkio.throttle.io_serviced'),
      };
    }
    return out;
  }

  pids(): number[] {
    const ctrl = ['pids', 'freezer', 'memory', 'devices', 'cpu'].find((c) => this.paths[c]) ?? Object.keys(this.paths)[0]!;
    return [...new Set(collectPids(this.paths[ctrl]!))].sort((a, b) => a - b);
  }

  async remove(): Promise<void> {
    let pids = this.pids();
    if (pids.length > 0) {
      // Freeze first so nothing forks while we kill, then thaw so the kill is delivered.
      const canFreeze = this.dir('freezer') !== undefined && existsSync(this.dir('freezer')!);
      if (canFreeze) {
        try {
          await this.freeze(true);
        } catch (err) {
          this.logger.warn('freeze before kill failed', { error: err });
        }
      }
      killAll(this.pids());
      if (canFreeze) await this.freeze(false);
      const gone = await waitUntil(() => {
        pids = this.pids();
        if (pids.length > 0) killAll(pids);
        return pids.length === 0;
      }, this.timeoutMs);
      if (!gone) throw unavailable(`remove cgroup: processes ${pids.join(', ')} still running`);
    }
    await Promise.all(this.uniqueDirs().map((dir) => removeCgroupDir(dir)));
  }
}

/** The devices.allow/deny line of a rule: "c 1:3 rwm", "a *:* rwm". */
export function deviceRuleLine(rule: LinuxDeviceCgroup): string {
  const type = rule.type ?? 'a';
  if (!['a', 'b', 'c'].includes(type)) throw invalidArgument(`cgroup devices: invalid type ${JSON.stringify(type)}`);
  const num = (n: number | null | undefined) => (n === undefined || n === null || n < 0 ? '*' : String(n));
  const access = rule.access && rule.access !== '' ? rule.access : 'rwm';
  return type === 'a' ? `a *:* ${access}` : `${type} ${num(rule.major)}:${num(rule.minor)} ${access}`;
}

function parseBlkio(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\S+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}
