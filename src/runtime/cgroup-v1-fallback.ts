import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { internal, wrap } from '../lib/index.ts';
import type { LinuxDeviceCgroup, LinuxResources } from './spec/index.ts';
import type { CgroupManager } from './cgroup-port.ts';

/** cgroup v1 hierarchies from /proc/self/mountinfo: name (first controller or name=) → mount point. */
export function v1Hierarchies(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = line.split(' ')[4] ?? '';
    const controllers = (superOpts ?? '').split(',').filter((o) => !['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'xattr', 'clone_children'].includes(o));
    for (const c of controllers) out[c.replace(/^name=/, '')] = mountPoint;
  }
  return out;
}

function write(path: string, value: string | number): void {
  try {
    writeFileSync(path, String(value));
  } catch (err) {
    throw wrap(err, `write ${JSON.stringify(path)} = ${JSON.stringify(String(value))}`);
  }
}

function deviceRule(r: LinuxDeviceCgroup): string {
  const num = (n: number | null | undefined) => (n === undefined || n === null || n < 0 ? '*' : String(n));
  return `${r.type ?? 'a'} ${num(r.major)}:${num(r.minor)} ${r.access ?? 'rwm'}`;
}

/** A cgroup v1 manager for one cgroupsPath across every mounted hierarchy. */
export class CgroupV1Fallback implements CgroupManager {
  private readonly paths: Record<string, string> = {};

  constructor(readonly cgroupsPath: string) {
    const rel = cgroupsPath.startsWith('/') ? cgroupsPath : `/${cgroupsPath}`;
    for (const [name, mount] of Object.entries(v1Hierarchies())) this.paths[name] = join(mount, rel);
  }

  dirs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, p] of Object.entries(this.paths)) {
      const key = name === 'cpu' || name === 'cpuacct' ? name : name;
      out[key] = p;
    }
    return out;
  }

  apply(pid: number): void {
    for (const [name, dir] of Object.entries(this.paths)) {
      mkdirSync(dir, { recursive: true });
      if (name === 'cpuset') this.inheritCpuset(dir);
      write(join(dir, 'cgroup.procs'), pid);
    }
  }

  private inheritCpuset(dir: string): void {
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (readFileSync(join(dir, f), 'utf8').trim() !== '') continue;
      let up = dirname(dir);
      const chain = [dir];
      while (readFileSync(join(up, f), 'utf8').trim() === '') {
        chain.push(up);
        up = dirname(up);
      }
      const value = readFileSync(join(up, f), 'utf8').trim();
      for (const d of chain.reverse()) write(join(d, f), value);
    }
  }

  set(r: LinuxResources): void {
    const p = this.paths;
    if (r.memory && p.memory) {
      if (r.memory.limit !== undefined) write(join(p.memory, 'memory.limit_in_bytes'), r.memory.limit);
      if (r.memory.reservation !== undefined) write(join(p.memory, 'memory.soft_limit_in_bytes'), r.memory.reservation);
      if (r.memory.swap !== undefined && existsSync(join(p.memory, 'memory.memsw.limit_in_bytes')))
        write(join(p.memory, 'memory.memsw.limit_in_bytes'), r.memory.swap);
      if (r.memory.swappiness !== undefined) write(join(p.memory, 'memory.swappiness'), r.memory.swappiness);
      if (r.memory.disableOOMKiller) write(join(p.memory, 'memory.oom_control'), 1);
    }
    if (r.pids && p.pids) write(join(p.pids, 'pids.max'), r.pids.limit > 0 ? r.pids.limit : 'max');
    if (r.cpu) {
      if (p.cpu && r.cpu.shares !== undefined) write(join(p.cpu, 'cpu.shares'), r.cpu.shares);
      if (p.cpu && r.cpu.period !== undefined) write(join(p.cpu, 'cpu.cfs_period_us'), r.cpu.period);
      if (p.cpu && r.cpu.quota !== undefined) write(join(p.cpu, 'cpu.cfs_quota_us'), r.cpu.quota);
      if (p.cpuset && r.cpu.cpus) write(join(p.cpuset, 'cpuset.cpus'), r.cpu.cpus);
      if (p.cpuset && r.cpu.mems) write(join(p.cpuset, 'cpuset.mems'), r.cpu.mems);
    }
    if (r.blockIO && p.blkio) {
      const b = r.blockIO;
      if (b.weight !== undefined && existsSync(join(p.blkio, 'blkio.weight'))) write(join(p.blkio, 'blkio.weight'), b.weight);
      const thr: [keyof typeof b, string][] = [
        ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
        ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
        ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
        ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
      ];
      for (const [key, file] of thr) {
        for (const d of (b[key] ?? []) as { major: number; minor: number; rate: number }[]) write(join(p.blkio, file), `${d.major}:${d.minor} ${d.rate}`);
      }
    }
    if (r.devices && p.devices) {
      for (const rule of r.devices) write(join(p.devices, rule.allow ? 'devices.allow' : 'devices.deny'), deviceRule(rule));
    }
  }

  async remove(): Promise<void> {
    for (const dir of Object.values(this.paths)) {
      for (let i = 0; ; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || i >= 100) throw wrap(err, `remove cgroup ${JSON.stringify(dir)}`);
          await sleep(10);
        }
      }
    }
  }

  async freeze(frozen: boolean): Promise<void> {
    const dir = this.paths.freezer;
    if (!dir) throw internal('freeze: no freezer hierarchy');
    const want = frozen ? 'FROZEN' : 'THAWED';
    for (let i = 0; i < 500; i++) {
      write(join(dir, 'freezer.state'), want);
      if (readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === want) return;
      await sleep(2);
    }
    throw internal(`freeze: cgroup did not become ${want}`);
  }

  isFrozen(): boolean {
    const dir = this.paths.freezer;
    try {
      return !!dir && readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN';
    } catch {
      return false;
    }
  }

  pids(): number[] {
    const dir = this.paths.pids ?? this.paths.memory ?? this.paths.freezer;
    if (!dir) return [];
    try {
      return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  oomKilled(): boolean {
    const dir = this.paths.memory;
    try {
      const m = dir ? /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, 'memory.oom_control'), 'utf8')) : null;
      return !!m && Number(m[1]) > 0;
    } catch {
      return false;
    }
  }

  /** True when no hierarchy directory exists any more. */
  isRemoved(): boolean {
    return Object.values(this.paths).every((d) => !existsSync(d));
  }

  /** For tests: the subdirectories left in a hierarchy. */
  static children(dir: string): string[] {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  }
}

export function openCgroup(cgroupsPath: string): CgroupManager & { isRemoved(): boolean } {
  return new CgroupV1Fallback(cgroupsPath);
}
