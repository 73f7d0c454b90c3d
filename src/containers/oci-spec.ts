import { statSync } from 'node:fs';
import { invalidArgument, messageOf } from '../lib/index.ts';
import {
  OCI_VERSION,
  dockerDefaultCapabilities,
  dockerDefaultDeviceRules,
  dockerDefaultMounts,
  dockerMaskedPaths,
  dockerReadonlyPaths,
  type LinuxBlockIO,
  type LinuxDevice,
  type LinuxDeviceCgroup,
  type LinuxNamespace,
  type LinuxResources,
  type LinuxSeccomp,
  type Mount,
  type POSIXRlimit,
  type Spec,
} from '../runtime/index.ts';
import { defaultPath } from './merge-config.ts';
import { containerOfMode, type SharedNamespaces } from './namespace-modes.ts';
import type { Container, HostConfig, MountPoint, Resources, ThrottleDevice } from './types.ts';

/** Where the init binary appears inside a container, as docker puts it. */
export const initPathInContainer = '/sbin/docker-init';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export interface BuildSpecOptions {
  /** Absolute path of the mounted rootfs. */
  rootfs: string;
  user: ResolvedUser;
  /** The host's capability bounding set (CAP_* names): privileged and CapAdd are clamped to it. */
  hostCapabilities: readonly string[];
  cgroupsPath: string;
  /** Host path of bin/berth-init, bind-mounted at /sbin/docker-init when Init is on. */
  initBinary?: string;
  /**
   * Turns the seccomp choice into an OCI filter: `undefined` profile = Docker's default,
   * a string = a profile JSON the user gave; returns undefined for no filter.
   */
  seccomp?: (profile: string | undefined, capabilities: readonly string[]) => LinuxSeccomp | undefined;
  /** The host's own hostname, used with NetworkMode host. */
  hostHostname?: string;
  /** Path of a network namespace to join (bridge networking), else a new one. */
  netnsPath?: string;
  /** Variables from the network (legacy links); the container's own env wins over them. */
  networkEnv?: string[];
  /** Namespaces joined from other containers and the /dev/shm source (PidMode, IpcMode). */
  shared?: SharedNamespaces;
}

export interface SecurityOptions {
  seccomp: 'default' | 'unconfined' | { profile: string };
  noNewPrivileges: boolean;
}

/** Parses HostConfig.SecurityOpt the way docker does (`key=value` or the old `key:value`). */
export function parseSecurityOpt(opts: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { seccomp: 'default', noNewPrivileges: false };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    let i = opt.indexOf('=');
    if (i < 0) i = opt.indexOf(':');
    if (i < 0) throw invalidArgument(`invalid --security-opt: "${opt}"`);
    const key = opt.slice(0, i);
    const value = opt.slice(i + 1);
    switch (key) {
      case 'no-new-privileges':
        if (value !== 'true' && value !== 'false') throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
        out.noNewPrivileges = value === 'true';
        break;
      case 'seccomp':
        out.seccomp = value === 'unconfined' ? 'unconfined' : { profile: value };
        break;
      case 'label':
      case 'apparmor':
      case 'systempaths':
        break;
      default:
        throw invalidArgument(`invalid --security-opt 1: "${opt}"`);
    }
  }
  return out;
}

export const normalizeCap = (c: string) => {
  const up = c.toUpperCase();
  return up === 'ALL' ? 'ALL' : up.startsWith('CAP_') ? up : `CAP_${up}`;
};

/**
 * The capability set docker computes (oci/caps TweakCapabilities): privileged = every host
 * capability; else the defaults, minus CapDrop, plus CapAdd ("ALL" on either side), clamped
 * to the host's bounding set.
 */
export function computeCapabilities(hc: Pick<HostConfig, 'privileged' | 'capAdd' | 'capDrop'>, host: readonly string[]): string[] {
  if (hc.privileged) return [...host];
  const add = hc.capAdd.map(normalizeCap);
  const drop = hc.capDrop.map(normalizeCap);
  for (const c of [...add, ...drop]) {
    if (c !== 'ALL' && !/^CAP_[A-Z_]+$/.test(c)) throw invalidArgument(`unknown capability: "${c}"`);
  }
  let caps: string[];
  if (add.includes('ALL')) caps = [...host];
  else {
    caps = drop.includes('ALL') ? [] : dockerDefaultCapabilities.filter((c) => !drop.includes(c));
    for (const c of add) if (!caps.includes(c)) caps.push(c);
  }
  if (add.includes('ALL') && !drop.includes('ALL')) caps = caps.filter((c) => !drop.includes(c));
  return caps.filter((c) => host.includes(c));
}

/**
 * HostConfig.Devices (`--device /dev/fuse[:/dev/fuse][:rwm]`): each host device node is created
 * in the container with the host's type, numbers, mode and owner, and allowed in the devices
 * cgroup with its permissions (docker's default "rwm").
 */
export function mappedDevices(hc: HostConfig): { devices: LinuxDevice[]; rules: LinuxDeviceCgroup[] } {
  const devices: LinuxDevice[] = [];
  const rules: LinuxDeviceCgroup[] = [];
  for (const d of hc.devices) {
    const access = d.cgroupPermissions || 'rwm';
    if (!/^[rwm]{1,3}$/.test(access)) throw invalidArgument(`invalid device cgroup permissions ${JSON.stringify(access)} for ${JSON.stringify(d.pathOnHost)}`);
    let st;
    try {
      st = statSync(d.pathOnHost, { bigint: true });
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : messageOf(err);
      throw invalidArgument(`error gathering device information while adding custom device ${JSON.stringify(d.pathOnHost)}: ${why}`);
    }
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
    if (!type) throw invalidArgument(`error gathering device information while adding custom device ${JSON.stringify(d.pathOnHost)}: not a device node`);
    const { major, minor } = deviceNumbers(st.rdev);
    devices.push({ path: d.pathInContainer || d.pathOnHost, type, major, minor, fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid) });
    rules.push({ allow: true, type, major, minor, access });
  }
  return { devices, rules };
}

/** glibc's major()/minor() on a dev_t. */
function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/** The major:minor of a host device path (docker stats it when the container starts). */
function deviceOf(path: string): { major: number; minor: number } {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : messageOf(err);
    throw invalidArgument(`stat ${path}: ${why}`);
  }
  if (!st.isBlockDevice() && !st.isCharacterDevice()) throw invalidArgument(`stat ${path}: not a device node`);
  return deviceNumbers(st.rdev);
}

const throttles = (list: readonly ThrottleDevice[] | undefined) => (list ?? []).map((d) => ({ ...deviceOf(d.path), rate: d.rate }));

/** HostConfig's Blkio* settings as OCI blockIO (devices resolved to major:minor on the host). */
export function blockIOOf(hc: Pick<HostConfig, 'blkioWeight' | 'blkioWeightDevice' | 'blkioDeviceReadBps' | 'blkioDeviceWriteBps' | 'blkioDeviceReadIOps' | 'blkioDeviceWriteIOps'>): LinuxBlockIO | undefined {
  const b: LinuxBlockIO = {};
  if (hc.blkioWeight) b.weight = hc.blkioWeight;
  const weights = (hc.blkioWeightDevice ?? []).map((d) => ({ ...deviceOf(d.path), weight: d.weight }));
  if (weights.length) b.weightDevice = weights;
  const rb = throttles(hc.blkioDeviceReadBps);
  if (rb.length) b.throttleReadBpsDevice = rb;
  const wb = throttles(hc.blkioDeviceWriteBps);
  if (wb.length) b.throttleWriteBpsDevice = wb;
  const ri = throttles(hc.blkioDeviceReadIOps);
  if (ri.length) b.throttleReadIOPSDevice = ri;
  const wi = throttles(hc.blkioDeviceWriteIOps);
  if (wi.length) b.throttleWriteIOPSDevice = wi;
  return Object.keys(b).length ? b : undefined;
}

const deviceRulePattern = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** One `--device-cgroup-rule` ("c 1:3 rmw", "a *:* rwm") as an OCI allow rule. */
export function parseDeviceCgroupRule(rule: string): LinuxDeviceCgroup {
  const m = deviceRulePattern.exec(rule);
  if (!m) throw invalidArgument(`invalid device cgroup format '${rule}'`);
  const num = (v: string) => (v === '*' ? -1 : Number(v));
  if (m[1] === 'a') return { allow: true, access: m[4]! };
  return { allow: true, type: m[1]!, major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
}

/** Which blkio controls the host's kernel offers (cgroup v1 files exist; on v2 all of them). */
export interface BlkioSupport {
  weight: boolean;
  weightDevice: boolean;
  readBps: boolean;
  writeBps: boolean;
  readIOps: boolean;
  writeIOps: boolean;
}

/** The per-device block I/O lists, the support flag each needs, and docker's words for them. */
const blkioDeviceLists = [
  ['blkioWeightDevice', 'weightDevice', 'Block I/O weight_device', 'Weight-device'],
  ['blkioDeviceReadBps', 'readBps', 'BPS Block I/O read limit', 'Block I/O BPS read limit'],
  ['blkioDeviceWriteBps', 'writeBps', 'BPS Block I/O write limit', 'Block I/O BPS write limit'],
  ['blkioDeviceReadIOps', 'readIOps', 'IOPS Block read limit', 'Block I/O IOPS read limit'],
  ['blkioDeviceWriteIOps', 'writeIOps', 'IOPS Block write limit', 'Block I/O IOPS write limit'],
] as const;

/**
 * Docker drops the block I/O settings the kernel cannot apply, with a warning each
 * (daemon_unix.go verifyPlatformContainerResources); `r` is changed in place.
 */
export function discardUnsupportedBlkio(r: Partial<Resources>, support: BlkioSupport | undefined): string[] {
  if (!support) return [];
  const warnings: string[] = [];
  if (r.blkioWeight && !support.weight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.blkioWeight = 0;
  }
  for (const [field, supported, what, setting] of blkioDeviceLists) {
    if (r[field]?.length && !support[supported]) {
      warnings.push(`Your kernel does not support ${what} or the cgroup is not mounted. ${setting} discarded.`);
      r[field] = [];
    }
  }
  return warnings;
}

/** Docker's --memory-swap semantics: 0 with a memory limit = twice the memory, -1 unlimited. */
export function resourcesOf(hc: HostConfig): LinuxResources {
  const r: LinuxResources = {
    devices: hc.privileged
      ? [{ allow: true, access: 'rwm' }]
      : [...dockerDefaultDeviceRules, ...(hc.devices.length ? mappedDevices(hc).rules : []), ...(hc.deviceCgroupRules ?? []).map(parseDeviceCgroupRule)],
  };
  if (hc.memory || hc.memoryReservation || hc.memorySwap) {
    r.memory = {};
    if (hc.memory > 0) r.memory.limit = hc.memory;
    if (hc.memoryReservation > 0) r.memory.reservation = hc.memoryReservation;
    if (hc.memorySwap === -1) r.memory.swap = -1;
    else if (hc.memorySwap > 0) r.memory.swap = hc.memorySwap;
    else if (hc.memory > 0) r.memory.swap = hc.memory * 2;
    if (hc.oomKillDisable) r.memory.disableOOMKiller = true;
  }
  if (hc.nanoCpus && (hc.cpuQuota || hc.cpuPeriod)) {
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (hc.cpuShares || hc.cpuQuota || hc.cpuPeriod || hc.nanoCpus || hc.cpusetCpus || hc.cpusetMems) {
    r.cpu = {};
    if (hc.cpuShares) r.cpu.shares = hc.cpuShares;
    if (hc.nanoCpus) {
      r.cpu.period = 100_000;
      r.cpu.quota = Math.round((hc.nanoCpus * 100_000) / 1e9);
    }
    if (hc.cpuQuota) r.cpu.quota = hc.cpuQuota;
    if (hc.cpuPeriod) r.cpu.period = hc.cpuPeriod;
    if (hc.cpusetCpus) r.cpu.cpus = hc.cpusetCpus;
    if (hc.cpusetMems) r.cpu.mems = hc.cpusetMems;
  }
  if (hc.pidsLimit !== null && hc.pidsLimit !== 0) r.pids = { limit: hc.pidsLimit < 0 ? -1 : hc.pidsLimit };
  const blockIO = blockIOOf(hc);
  if (blockIO) r.blockIO = blockIO;
  return r;
}

export function rlimitsOf(hc: HostConfig): POSIXRlimit[] {
  return hc.ulimits.map((u) => {
    if (!/^[a-z]+$/.test(u.name)) throw invalidArgument(`invalid ulimit type: "${u.name}"`);
    return { type: `RLIMIT_${u.name.toUpperCase()}`, soft: u.soft, hard: u.hard };
  });
}

function mountOf(m: MountPoint): Mount {
  if (m.type === 'tmpfs') {
    return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...(m.options ?? [])] };
  }
  const options = ['rbind', m.rw ? 'rw' : 'ro'];
  if (m.propagation) options.push(m.propagation);
  return { destination: m.destination, type: 'bind', source: m.source, options };
}

/**
 * The OCI runtime spec of a container (docker's daemon/oci_linux.go in one function): the
 * merged process, Docker's default mounts, devices, masked paths and capabilities, the
 * container's files (hostname, hosts, resolv.conf), its volumes, resources and security options.
 */
export function buildSpec(c: Container, o: BuildSpecOptions): Spec {
  const cfg = c.config;
  const hc = c.hostConfig;
  const security = parseSecurityOpt(hc.securityOpt);
  const caps = computeCapabilities(hc, o.hostCapabilities);
  const hostNet = hc.networkMode === 'host';

  const own = new Set(cfg.env.map((e) => e.split('=')[0]));
  let env = [...(o.networkEnv ?? []).filter((e) => !own.has(e.split('=')[0])), ...cfg.env];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(`PATH=${defaultPath}`);
  const hostname = hostnameOf(c, o.hostHostname);
  env = [`HOSTNAME=${hostname}`, ...env.filter((e) => !e.startsWith('HOSTNAME='))];
  if (cfg.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');

  let args = [c.path, ...c.args];
  if (hc.init) args = [initPathInContainer, '--', ...args];

  const shm = o.shared?.shmSource;
  const mounts: Mount[] = dockerDefaultMounts()
    .filter((m) => !(m.destination === '/dev/shm' && hc.ipcMode === 'none'))
    .map((m) => {
      if (m.destination === '/dev/shm' && shm) return { destination: '/dev/shm', type: 'bind', source: shm, options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev'] };
      if (m.destination === '/dev/shm') return { ...m, options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.floor(hc.shmSize / 1024) || 65536}k`] };
      if (hc.privileged && (m.destination === '/sys' || m.destination === '/sys/fs/cgroup')) {
        return { ...m, options: (m.options ?? []).filter((x) => x !== 'ro').concat('rw') };
      }
      return m;
    });
  // With the host's network the sysfs of a new netns cannot be mounted: bind the host's.
  if (hostNet) {
    const i = mounts.findIndex((m) => m.destination === '/sys');
    if (i >= 0) mounts[i] = { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', hc.privileged ? 'rw' : 'ro'] };
  }
  const userDests = new Set(c.mountPoints.map((m) => m.destination));
  const files: [string, string][] = [
    ['/etc/resolv.conf', c.resolvConfPath],
    ['/etc/hostname', c.hostnamePath],
    ['/etc/hosts', c.hostsPath],
  ];
  for (const [dest, src] of files) {
    if (src && !userDests.has(dest)) {
      mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate', hc.readonlyRootfs ? 'ro' : 'rw'] });
    }
  }
  const sorted = [...c.mountPoints].sort((a, b) => depth(a.destination) - depth(b.destination));
  for (const m of sorted) {
    const i = mounts.findIndex((x) => x.destination === m.destination);
    if (i >= 0) mounts.splice(i, 1);
    mounts.push(mountOf(m));
  }
  if (hc.init) {
    if (!o.initBinary) throw invalidArgument('init requested but no init binary is installed');
    mounts.push({ destination: initPathInContainer, type: 'bind', source: o.initBinary, options: ['bind', 'ro'] });
  }

  const namespaces: LinuxNamespace[] = [{ type: 'mount' }];
  const joined = (type: 'pid' | 'ipc', mode: string, from: number | undefined) => {
    if (mode === 'host') return;
    // Without a resolved target (an exec's process) the namespace entry does not matter.
    namespaces.push(containerOfMode(mode) !== undefined && from ? { type, path: `/proc/${from}/ns/${type}` } : { type });
  };
  joined('pid', hc.pidMode, o.shared?.pidFrom);
  joined('ipc', hc.ipcMode, o.shared?.ipcFrom);
  const hostUts = hc.utsMode === 'host';
  if (!hostUts) namespaces.push({ type: 'uts' });
  if (!hostNet) namespaces.push(o.netnsPath ? { type: 'network', path: o.netnsPath } : { type: 'network' });

  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: cfg.tty,
      user: { uid: o.user.uid, gid: o.user.gid, ...(o.user.additionalGids.length ? { additionalGids: o.user.additionalGids } : {}) },
      args,
      env,
      cwd: cfg.workingDir || '/',
      capabilities: {
        bounding: [...caps],
        effective: [...caps],
        permitted: [...caps],
      },
      noNewPrivileges: security.noNewPrivileges,
      ...(hc.ulimits.length ? { rlimits: rlimitsOf(hc) } : {}),
      ...(hc.oomScoreAdj ? { oomScoreAdj: hc.oomScoreAdj } : {}),
    },
    root: { path: o.rootfs, readonly: hc.readonlyRootfs },
    ...(hostUts ? {} : { hostname, ...(cfg.domainname ? { domainname: cfg.domainname } : {}) }),
    mounts,
    linux: {
      namespaces,
      cgroupsPath: o.cgroupsPath,
      resources: resourcesOf(hc),
      ...(hc.devices.length ? { devices: mappedDevices(hc).devices } : {}),
      ...(Object.keys(hc.sysctls).length ? { sysctl: { ...hc.sysctls } } : {}),
      ...(hc.privileged ? {} : { maskedPaths: [...dockerMaskedPaths], readonlyPaths: [...dockerReadonlyPaths] }),
    },
  };
  if (cfg.tty) spec.process!.consoleSize = { height: hc.consoleSize[0] || 24, width: hc.consoleSize[1] || 80 };
  if (!hc.privileged && security.seccomp !== 'unconfined' && o.seccomp) {
    const filter = o.seccomp(security.seccomp === 'default' ? undefined : security.seccomp.profile, caps);
    if (filter) spec.linux!.seccomp = filter;
  }
  return spec;
}

export function hostnameOf(c: Container, hostHostname?: string): string {
  if (c.config.hostname) return c.config.hostname;
  if ((c.hostConfig.networkMode === 'host' || c.hostConfig.utsMode === 'host') && hostHostname) return hostHostname;
  return c.id.slice(0, 12);
}

const depth = (p: string) => p.split('/').filter(Boolean).length;
