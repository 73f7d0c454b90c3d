import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AttachOptions,
  ContainerBackend,
  ExecBackend,
  LogLine,
  LogsOptions,
  WaitCondition,
} from '../api/server/index.ts';
import { registerContainerRoutes, registerExecRoutes, type Filters, type Router } from '../api/server/index.ts';
import type {
  ContainerChange,
  ContainerConfigWire,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPathStat,
  ContainerPruneResponse,
  ContainerStatsWire,
  ContainerSummary,
  ContainerTopResponse,
  ContainerUpdateResponse,
  ContainerWaitResponse,
  CpuStatsWire,
  EndpointSettings,
  ExecCreateRequest,
  ExecInspect,
  ExecStartRequest,
  HostConfigWire,
  MountPointWire,
  NetworkSettingsWire,
  ResourcesWire,
  ThrottleDeviceWire,
} from '../api/types/index.ts';
import {
  ContainerService,
  ExecManager,
  attachContainer,
  containerChanges,
  containerLogs,
  defaultContainerConfig,
  defaultHostConfig,
  exportContainer,
  getArchive,
  humanStatus,
  isRunning,
  parseRestartPolicy,
  prepareAttach,
  putArchive,
  statPath,
  top,
  type CgroupStats,
  type Container,
  type ContainerConfig,
  type HealthConfig,
  type HostConfig,
  type MountPoint,
  type MountSpec,
  type Resources,
  RuntimeTasks,
  type ImageProvider,
  type ImageRuntimeConfig,
  type RuntimeCgroupStats,
  type VolumeProvider,
} from '../containers/index.ts';
import { binPath, conflict, failedPrecondition, invalidArgument, isNotFound, messageOf, type Logger } from '../lib/index.ts';
import type { MetadataDb } from '../metadata/index.ts';
import { Runtime, capabilitiesFromMask, dockerDefaultSeccomp, readCapabilitySet, type LinuxSeccomp } from '../runtime/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import { validateMount } from '../volumes/index.ts';
import type { EventPublisher } from './events-service.ts';
import type { DaemonNetworkBackend } from './network-backend.ts';
import { createNetworkManager, startNetworking, type NetworkFlags } from './network-wiring.ts';
import { blkioSupport } from './system-backend.ts';

const asArgv = (v: string[] | string | null | undefined): string[] | null => (v === undefined || v === null ? null : typeof v === 'string' ? [v] : [...v]);

/** Wire Config → the container component's config. */
export function configFromWire(w: ContainerConfigWire): ContainerConfig {
  const d = defaultContainerConfig();
  const hc = w.Healthcheck;
  const health: HealthConfig | null = hc
    ? {
        test: hc.Test ?? [],
        interval: hc.Interval ?? 0,
        timeout: hc.Timeout ?? 0,
        startPeriod: hc.StartPeriod ?? 0,
        startInterval: hc.StartInterval ?? 0,
        retries: hc.Retries ?? 0,
      }
    : null;
  return {
    ...d,
    hostname: w.Hostname ?? '',
    domainname: w.Domainname ?? '',
    user: w.User ?? '',
    attachStdin: w.AttachStdin ?? false,
    attachStdout: w.AttachStdout ?? false,
    attachStderr: w.AttachStderr ?? false,
    exposedPorts: Object.keys(w.ExposedPorts ?? {}),
    tty: w.Tty ?? false,
    openStdin: w.OpenStdin ?? false,
    stdinOnce: w.StdinOnce ?? false,
    env: w.Env ?? [],
    cmd: asArgv(w.Cmd),
    entrypoint: asArgv(w.Entrypoint),
    image: w.Image ?? '',
    volumes: Object.keys(w.Volumes ?? {}),
    workingDir: w.WorkingDir ?? '',
    labels: w.Labels ?? {},
    stopSignal: w.StopSignal ?? '',
    stopTimeout: w.StopTimeout ?? null,
    healthcheck: health,
    networkDisabled: w.NetworkDisabled ?? false,
  };
}

function resourcesFromWire(w: ResourcesWire): Partial<Resources> {
  const r: Partial<Resources> = {};
  if (w.Memory !== undefined) r.memory = w.Memory;
  if (w.MemorySwap !== undefined) r.memorySwap = w.MemorySwap;
  if (w.MemoryReservation !== undefined) r.memoryReservation = w.MemoryReservation;
  if (w.NanoCpus !== undefined) r.nanoCpus = w.NanoCpus;
  if (w.CpuShares !== undefined) r.cpuShares = w.CpuShares;
  if (w.CpuQuota !== undefined) r.cpuQuota = w.CpuQuota;
  if (w.CpuPeriod !== undefined) r.cpuPeriod = w.CpuPeriod;
  if (w.CpusetCpus !== undefined) r.cpusetCpus = w.CpusetCpus;
  if (w.CpusetMems !== undefined) r.cpusetMems = w.CpusetMems;
  if (w.PidsLimit !== undefined) r.pidsLimit = w.PidsLimit;
  if (w.BlkioWeight !== undefined) r.blkioWeight = w.BlkioWeight;
  if (w.BlkioWeightDevice) r.blkioWeightDevice = w.BlkioWeightDevice.map((d) => ({ path: d.Path, weight: d.Weight }));
  const throttle = (list: ThrottleDeviceWire[]) => list.map((d) => ({ path: d.Path, rate: d.Rate }));
  if (w.BlkioDeviceReadBps) r.blkioDeviceReadBps = throttle(w.BlkioDeviceReadBps);
  if (w.BlkioDeviceWriteBps) r.blkioDeviceWriteBps = throttle(w.BlkioDeviceWriteBps);
  if (w.BlkioDeviceReadIOps) r.blkioDeviceReadIOps = throttle(w.BlkioDeviceReadIOps);
  if (w.BlkioDeviceWriteIOps) r.blkioDeviceWriteIOps = throttle(w.BlkioDeviceWriteIOps);
  if (w.Ulimits) r.ulimits = w.Ulimits.map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard }));
  if (w.OomKillDisable !== undefined) r.oomKillDisable = w.OomKillDisable;
  return r;
}

/** One `HostConfig.Mounts` entry, checked as dockerd checks it (field misuse, paths, names). */
function mountFromWire(m: NonNullable<HostConfigWire['Mounts']>[number]): MountSpec {
  return validateMount(m);
}

/** Wire HostConfig → the container component's host config. */
export function hostConfigFromWire(w: HostConfigWire | null | undefined): HostConfig {
  const d = defaultHostConfig();
  if (!w) return d;
  const rp = w.RestartPolicy;
  return {
    ...d,
    ...resourcesFromWire(w),
    binds: w.Binds ?? [],
    mounts: (w.Mounts ?? []).map(mountFromWire),
    tmpfs: w.Tmpfs ?? {},
    privileged: w.Privileged ?? false,
    capAdd: w.CapAdd ?? [],
    capDrop: w.CapDrop ?? [],
    securityOpt: w.SecurityOpt ?? [],
    readonlyRootfs: w.ReadonlyRootfs ?? false,
    init: w.Init ?? null,
    extraHosts: w.ExtraHosts ?? [],
    dns: w.Dns ?? [],
    dnsSearch: w.DnsSearch ?? [],
    dnsOptions: w.DnsOptions ?? [],
    networkMode: w.NetworkMode || 'default',
    autoRemove: w.AutoRemove ?? false,
    restartPolicy: rp ? parseRestartPolicy(rp.Name ?? '', rp.MaximumRetryCount ?? 0) : d.restartPolicy,
    oomScoreAdj: w.OomScoreAdj ?? 0,
    shmSize: w.ShmSize || d.shmSize,
    sysctls: w.Sysctls ?? {},
    logConfig: w.LogConfig?.Type ? { type: w.LogConfig.Type, config: w.LogConfig.Config ?? {} } : d.logConfig,
    portBindings: Object.fromEntries(
      Object.entries(w.PortBindings ?? {}).map(([k, v]) => [k, (v ?? []).map((b) => ({ hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '' }))]),
    ),
    publishAllPorts: w.PublishAllPorts ?? false,
    groupAdd: w.GroupAdd ?? [],
    ipcMode: w.IpcMode || 'private',
    pidMode: w.PidMode ?? '',
    utsMode: w.UTSMode ?? '',
    usernsMode: w.UsernsMode ?? '',
    deviceCgroupRules: w.DeviceCgroupRules ?? [],
    devices: (w.Devices ?? []).map((x) => ({ pathOnHost: x.PathOnHost, pathInContainer: x.PathInContainer, cgroupPermissions: x.CgroupPermissions })),
    consoleSize: w.ConsoleSize ?? [0, 0],
  };
}

const objectMap = (keys: readonly string[]): Record<string, object> | null =>
  keys.length ? Object.fromEntries(keys.map((k) => [k, {}])) : null;

export function configToWire(c: ContainerConfig): ContainerConfigWire {
  const out: ContainerConfigWire = {
    Hostname: c.hostname,
    Domainname: c.domainname,
    User: c.user,
    AttachStdin: c.attachStdin,
    AttachStdout: c.attachStdout,
    AttachStderr: c.attachStderr,
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StdinOnce: c.stdinOnce,
    Env: c.env,
    Cmd: c.cmd,
    Image: c.image,
    Volumes: objectMap(c.volumes),
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint,
    OnBuild: null,
    Labels: c.labels,
  };
  if (c.exposedPorts.length) out.ExposedPorts = objectMap(c.exposedPorts);
  if (c.stopSignal) out.StopSignal = c.stopSignal;
  if (c.stopTimeout !== null) out.StopTimeout = c.stopTimeout;
  if (c.healthcheck) {
    out.Healthcheck = {
      Test: c.healthcheck.test,
      ...(c.healthcheck.interval ? { Interval: c.healthcheck.interval } : {}),
      ...(c.healthcheck.timeout ? { Timeout: c.healthcheck.timeout } : {}),
      ...(c.healthcheck.startPeriod ? { StartPeriod: c.healthcheck.startPeriod } : {}),
      ...(c.healthcheck.startInterval ? { StartInterval: c.healthcheck.startInterval } : {}),
      ...(c.healthcheck.retries ? { Retries: c.healthcheck.retries } : {}),
    };
  }
  return out;
}

const throttleToWire = (list: readonly { path: string; rate: number }[] | undefined) => (list ?? []).map((d) => ({ Path: d.path, Rate: d.rate }));

export function hostConfigToWire(h: HostConfig): HostConfigWire {
  return {
    Binds: h.binds.length ? h.binds : null,
    ContainerIDFile: '',
    LogConfig: { Type: h.logConfig.type, Config: h.logConfig.config },
    NetworkMode: h.networkMode,
    PortBindings: Object.fromEntries(
      Object.entries(h.portBindings).map(([k, v]) => [k, v.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }))]),
    ),
    RestartPolicy: { Name: h.restartPolicy.name, MaximumRetryCount: h.restartPolicy.maximumRetryCount },
    AutoRemove: h.autoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: h.consoleSize,
    CapAdd: h.capAdd.length ? h.capAdd : null,
    CapDrop: h.capDrop.length ? h.capDrop : null,
    CgroupnsMode: 'host',
    Dns: h.dns,
    DnsOptions: h.dnsOptions,
    DnsSearch: h.dnsSearch,
    ExtraHosts: h.extraHosts.length ? h.extraHosts : null,
    GroupAdd: h.groupAdd.length ? h.groupAdd : null,
    IpcMode: h.ipcMode,
    Cgroup: '',
    Links: null,
    OomScoreAdj: h.oomScoreAdj,
    PidMode: h.pidMode,
    Privileged: h.privileged,
    PublishAllPorts: h.publishAllPorts,
    ReadonlyRootfs: h.readonlyRootfs,
    SecurityOpt: h.securityOpt.length ? h.securityOpt : null,
    ...(Object.keys(h.tmpfs).length ? { Tmpfs: h.tmpfs } : {}),
    UTSMode: h.utsMode,
    UsernsMode: h.usernsMode ?? '',
    ShmSize: h.shmSize,
    ...(Object.keys(h.sysctls).length ? { Sysctls: h.sysctls } : {}),
    Runtime: 'runc',
    Isolation: '',
    CpuShares: h.cpuShares,
    Memory: h.memory,
    NanoCpus: h.nanoCpus,
    CgroupParent: '',
    BlkioWeight: h.blkioWeight,
    BlkioWeightDevice: (h.blkioWeightDevice ?? []).map((d) => ({ Path: d.path, Weight: d.weight })),
    BlkioDeviceReadBps: throttleToWire(h.blkioDeviceReadBps),
    BlkioDeviceWriteBps: throttleToWire(h.blkioDeviceWriteBps),
    BlkioDeviceReadIOps: throttleToWire(h.blkioDeviceReadIOps),
    BlkioDeviceWriteIOps: throttleToWire(h.blkioDeviceWriteIOps),
    CpuPeriod: h.cpuPeriod,
    CpuQuota: h.cpuQuota,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: h.cpusetCpus,
    CpusetMems: h.cpusetMems,
    Devices: h.devices.map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.cgroupPermissions })),
    DeviceCgroupRules: h.deviceCgroupRules?.length ? h.deviceCgroupRules : null,
    DeviceRequests: null,
    MemoryReservation: h.memoryReservation,
    MemorySwap: h.memorySwap,
    MemorySwappiness: null,
    OomKillDisable: h.oomKillDisable,
    PidsLimit: h.pidsLimit,
    Ulimits: h.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(h.init !== null ? { Init: h.init } : {}),
    ...(h.mounts.length
      ? {
          Mounts: h.mounts.map((m) => ({
            Type: m.type,
            Source: m.source,
            Target: m.target,
            ...(m.readOnly ? { ReadOnly: true } : {}),
            ...(m.tmpfsSize || m.tmpfsMode ? { TmpfsOptions: { ...(m.tmpfsSize ? { SizeBytes: m.tmpfsSize } : {}), ...(m.tmpfsMode ? { Mode: m.tmpfsMode } : {}) } } : {}),
          })),
        }
      : {}),
    MaskedPaths: h.privileged ? null : [],
    ReadonlyPaths: h.privileged ? null : [],
  };
}

export function mountPointToWire(m: MountPoint): MountPointWire {
  if (m.type === 'volume') {
    return { Type: 'volume', Name: m.name, Source: m.source, Destination: m.destination, Driver: m.driver, Mode: m.mode, RW: m.rw, Propagation: '' };
  }
  return { Type: m.type, Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw, Propagation: m.propagation };
}

function emptyEndpoint(): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** The network a container is on, by docker's name (bridge networking is not implemented yet). */
const networkName = (mode: string) => (mode === 'default' ? 'bridge' : mode);

function networkSettings(c: Container): NetworkSettingsWire {
  return {
    Bridge: '',
    SandboxID: '',
    SandboxKey: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: Object.fromEntries(c.config.exposedPorts.map((p) => [p, null])),
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: { [networkName(c.hostConfig.networkMode)]: emptyEndpoint() },
  };
}

export function inspectToWire(c: Container, sizes?: { rw: number; rootFs: number }): ContainerInspect {
  const s = c.state;
  const out: ContainerInspect = {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health
        ? {
            Health: {
              Status: s.health.status,
              FailingStreak: s.health.failingStreak,
              Log: s.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
            },
          }
        : {}),
    },
    Image: c.imageId,
    ResolvConfPath: c.resolvConfPath,
    HostnamePath: c.hostnamePath,
    HostsPath: c.hostsPath,
    LogPath: c.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlayfs',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: c.execIds.length ? c.execIds : null,
    HostConfig: hostConfigToWire(c.hostConfig),
    GraphDriver: { Name: 'overlayfs', Data: null },
    Mounts: c.mountPoints.map(mountPointToWire),
    Config: configToWire(c.config),
    NetworkSettings: networkSettings(c),
  };
  if (sizes) {
    out.SizeRw = sizes.rw;
    out.SizeRootFs = sizes.rootFs;
  }
  return out;
}

export function summaryToWire(c: Container, now = Date.now()): ContainerSummary {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.imageRef,
    ImageID: c.imageId,
    Command: listCommand(c.path, c.args),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: c.config.exposedPorts.map((p) => {
      const [port, proto] = p.split('/');
      return { PrivatePort: Number(port), Type: proto ?? 'tcp' };
    }),
    Labels: c.config.labels,
    State: c.state.status,
    Status: humanStatus(c.state, now),
    HostConfig: { NetworkMode: c.hostConfig.networkMode },
    NetworkSettings: { Networks: { [networkName(c.hostConfig.networkMode)]: emptyEndpoint() } },
    Mounts: c.mountPoints.map(mountPointToWire),
  };
}

function labelMatches(labels: Record<string, string>, want: string): boolean {
  const i = want.indexOf('=');
  if (i < 0) return want in labels;
  return labels[want.slice(0, i)] === want.slice(i + 1);
}

/** Docker's `ps --filter` semantics: values of one key are OR-ed, keys are AND-ed. */
export function filterContainers(all: Container[], filters: Filters, find: (ref: string) => Container | undefined): Container[] {
  const get = (k: string) => filters.get(k) ?? [];
  const before = get('before').map((r) => find(r)?.created);
  const since = get('since').map((r) => find(r)?.created);
  return all.filter((c) => {
    const any = (k: string, pred: (v: string) => boolean) => get(k).length === 0 || get(k).some(pred);
    if (!any('status', (v) => v === c.state.status)) return false;
    if (!any('name', (v) => new RegExp(v.replace(/^\//, '')).test(c.name))) return false;
    if (!any('id', (v) => c.id.startsWith(v))) return false;
    if (!get('label').every((v) => labelMatches(c.config.labels, v))) return false;
    if (!any('ancestor', (v) => v === c.imageRef || v === c.imageId || c.imageId.startsWith(`sha256:${v}`) || `${v}:latest` === c.imageRef || v === `${c.imageRef}:latest`)) return false;
    if (!any('exited', (v) => c.state.status === 'exited' && Number(v) === c.state.exitCode)) return false;
    if (!any('health', (v) => (c.state.health?.status ?? 'none') === v)) return false;
    if (!any('volume', (v) => c.mountPoints.some((m) => m.name === v || m.destination === v || m.source === v))) return false;
    if (!any('network', (v) => networkName(c.hostConfig.networkMode) === v)) return false;
    if (!any('expose', (v) => c.config.exposedPorts.includes(v.includes('/') ? v : `${v}/tcp`))) return false;
    if (before.length && !before.some((b) => b !== undefined && c.created < b)) return false;
    if (since.length && !since.some((s) => s !== undefined && c.created > s)) return false;
    return true;
  });
}

const zeroCpu = (): CpuStatsWire => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

function cpuToWire(s: CgroupStats): CpuStatsWire {
  return {
    cpu_usage: {
      total_usage: s.cpuUsageTotal,
      ...(s.perCpu.length ? { percpu_usage: s.perCpu } : {}),
      usage_in_kernelmode: s.cpuUsageKernel,
      usage_in_usermode: s.cpuUsageUser,
    },
    system_cpu_usage: s.systemCpuUsage,
    online_cpus: s.onlineCpus,
    throttling_data: { periods: s.periods, throttled_periods: s.throttledPeriods, throttled_time: s.throttledTime },
  };
}

/** The list's Command column as docker writes it: arguments with a space in single quotes. */
export function listCommand(path: string, args: string[]): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

export function statsToWire(c: Container, cur: CgroupStats | undefined, prev: CgroupStats | undefined, read: Date, preread: Date | undefined): ContainerStatsWire {
  return {
    name: `/${c.name}`,
    id: c.id,
    read: cur ? read.toISOString() : '0001-01-01T00:00:00Z',
    preread: preread ? preread.toISOString() : '0001-01-01T00:00:00Z',
    pids_stats: cur ? { current: cur.pidsCurrent, ...(cur.pidsLimit ? { limit: cur.pidsLimit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: cur ? cur.blkioServiceBytes : null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cur ? cpuToWire(cur) : zeroCpu(),
    precpu_stats: prev ? cpuToWire(prev) : zeroCpu(),
    memory_stats: cur
      ? { usage: cur.memoryUsage, ...(cur.memoryMaxUsage ? { max_usage: cur.memoryMaxUsage } : {}), stats: cur.memoryStats, limit: cur.memoryLimit, ...(cur.memoryFailcnt ? { failcnt: cur.memoryFailcnt } : {}) }
      : {},
  };
}

/** Disk usage of a container's rw layer (SizeRw), when the caller asks for sizes. */
export type LayerSize = (c: Container) => Promise<number>;

/**
 * The ContainerBackend and ExecBackend of the Engine API over the container component: the
 * translation between docker's wire shapes and the component's records, nothing more.
 */
export class DaemonContainerBackend implements ContainerBackend {
  /** Network parts of create, inspect and list (set once networking is up). */
  networks?: DaemonNetworkBackend;

  constructor(
    private readonly svc: ContainerService,
    private readonly execs: ExecManager,
    private readonly log: Logger,
    private readonly layerSize?: LayerSize,
  ) {}

  async list(o: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<ContainerSummary[]> {
    let list = this.svc.list();
    if (!o.all && !o.filters.has('status') && o.limit <= 0) list = list.filter((c) => isRunning(c.state) || c.state.status === 'restarting');
    list = filterContainers(list, o.filters, (r) => {
      try {
        return this.svc.store.tryFind(r);
      } catch {
        return undefined;
      }
    });
    if (o.limit > 0) list = list.slice(0, o.limit);
    const now = Date.now();
    const out: ContainerSummary[] = [];
    for (const c of list) {
      const s = summaryToWire(c, now);
      this.networks?.decorateSummary(c, s);
      if (o.size && this.layerSize) {
        s.SizeRw = await this.layerSize(c).catch(() => 0);
        s.SizeRootFs = s.SizeRw;
      }
      out.push(s);
    }
    return out;
  }

  async create(name: string | undefined, req: ContainerCreateRequest): Promise<ContainerCreateResponse> {
    const config = configFromWire(req);
    const hostConfig = hostConfigFromWire(req.HostConfig);
    this.networks?.validateCreate(req);
    const r = await this.svc.create({ ...(name ? { name } : {}), config, hostConfig });
    this.networks?.created(r.id, req);
    return { Id: r.id, Warnings: r.warnings };
  }

  async inspect(ref: string, o: { size: boolean }): Promise<ContainerInspect> {
    const c = this.svc.get(ref);
    const sizes = o.size && this.layerSize ? await this.layerSize(c).catch(() => 0) : undefined;
    const out = sizes !== undefined ? inspectToWire(c, { rw: sizes, rootFs: sizes }) : inspectToWire(c);
    this.networks?.decorateInspect(c, out);
    return out;
  }

  start(ref: string): Promise<void> {
    return this.svc.start(ref);
  }

  stop(ref: string, o: { signal?: string; timeout?: number }): Promise<void> {
    return this.svc.stop(ref, o);
  }

  restart(ref: string, o: { signal?: string; timeout?: number }): Promise<void> {
    return this.svc.restart(ref, o);
  }

  kill(ref: string, signal: string | undefined): Promise<void> {
    return this.svc.kill(ref, signal);
  }

  pause(ref: string): Promise<void> {
    return this.svc.pause(ref);
  }

  unpause(ref: string): Promise<void> {
    return this.svc.unpause(ref);
  }

  async wait(ref: string, condition: WaitCondition, signal: AbortSignal): Promise<{ result: Promise<ContainerWaitResponse> }> {
    const p = this.svc.wait(ref, condition, signal);
    return {
      result: p.then((r) => ({ StatusCode: r.exitCode, Error: r.error ? { Message: r.error } : null })),
    };
  }

  async remove(ref: string, o: { force: boolean; volumes: boolean; link: boolean }): Promise<void> {
    if (o.link) throw invalidArgument('links are not supported');
    const c = this.svc.get(ref);
    await this.svc.remove(ref, { force: o.force, volumes: o.volumes });
    this.execs.forget(c.id);
  }

  rename(ref: string, name: string): Promise<void> {
    return this.svc.rename(ref, name);
  }

  async update(ref: string, w: ResourcesWire): Promise<ContainerUpdateResponse> {
    const warnings = await this.svc.update(
      ref,
      resourcesFromWire(w),
      w.RestartPolicy ? { name: w.RestartPolicy.Name ?? '', maximumRetryCount: w.RestartPolicy.MaximumRetryCount ?? 0 } : undefined,
    );
    return { Warnings: warnings };
  }

  async top(ref: string, psArgs: string | undefined): Promise<ContainerTopResponse> {
    const r = await top(this.svc, ref, psArgs || '-ef');
    return { Titles: r.titles, Processes: r.processes };
  }

  async changes(ref: string): Promise<ContainerChange[]> {
    const kinds = { C: 0, A: 1, D: 2 } as const;
    return (await containerChanges(this.svc, ref)).map((ch) => ({ Path: ch.path, Kind: kinds[ch.kind] }));
  }

  export(ref: string, open: () => Writable, signal: AbortSignal): Promise<void> {
    return exportContainer(this.svc, ref, open, signal);
  }

  async *stats(ref: string, o: { stream: boolean; oneShot: boolean; signal: AbortSignal }): AsyncIterable<ContainerStatsWire> {
    const c = this.svc.get(ref);
    // The record is read again for every sample: the state is the current one, not the one at
    // the request. A failed read is logged (and reported as docker does for a stopped container).
    const sample = async (): Promise<CgroupStats | undefined> => {
      const now = this.svc.store.get(c.id);
      if (!now || !isRunning(now.state)) return undefined;
      try {
        return await this.svc.tasks.stats(c.id);
      } catch (err) {
        this.log.warn('read container stats', { id: c.id, error: messageOf(err) });
        return undefined;
      }
    };
    let prev: CgroupStats | undefined;
    let preread: Date | undefined;
    if (!o.stream && !o.oneShot) {
      prev = await sample();
      if (prev) {
        preread = new Date();
        await sleep(1000, undefined, { signal: o.signal }).catch(() => undefined);
      }
    }
    for (;;) {
      if (o.signal.aborted) return;
      const cur = await sample();
      const read = new Date();
      yield statsToWire(c, cur, prev, read, preread);
      if (!o.stream || !cur) return;
      prev = cur;
      preread = read;
      await sleep(1000, undefined, { signal: o.signal }).catch(() => undefined);
      if (!this.svc.store.get(c.id)) return;
    }
  }

  async logs(ref: string, o: LogsOptions): Promise<{ tty: boolean; lines: AsyncIterable<LogLine> }> {
    return containerLogs(this.svc, ref, o);
  }

  async prepareAttach(ref: string): Promise<{ tty: boolean }> {
    return prepareAttach(this.svc, ref);
  }

  attach(ref: string, o: AttachOptions, conn: Duplex): Promise<void> {
    return attachContainer(this.svc, ref, o, conn, this.log);
  }

  async resize(ref: string, height: number, width: number): Promise<void> {
    const c = this.svc.get(ref);
    if (!isRunning(c.state)) throw conflict(`Container ${c.id} is not running`);
    await this.svc.tasks.resize(c.id, height, width).catch((err: unknown) => {
      if (!/no terminal/.test(String(err))) throw err;
    });
  }

  statPath(ref: string, path: string): Promise<ContainerPathStat> {
    return statPath(this.svc, ref, path);
  }

  getArchive(ref: string, path: string): Promise<{ stat: ContainerPathStat; write: (out: Writable) => Promise<void> }> {
    return getArchive(this.svc, ref, path);
  }

  putArchive(ref: string, path: string, input: Readable, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    return putArchive(this.svc, ref, path, input, o);
  }

  async prune(filters: Filters): Promise<ContainerPruneResponse> {
    const until = filters.get('until')?.[0];
    const untilMs = until ? (/^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.parse(until)) : undefined;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.svc.list()) {
      if (isRunning(c.state) || c.state.status === 'restarting' || c.state.status === 'removing') continue;
      if (untilMs !== undefined && Date.parse(c.created) >= untilMs) continue;
      if (!(filters.get('label') ?? []).every((l) => labelMatches(c.config.labels, l))) continue;
      if ((filters.get('label!') ?? []).some((l) => labelMatches(c.config.labels, l))) continue;
      const size = this.layerSize ? await this.layerSize(c).catch(() => 0) : 0;
      try {
        await this.svc.remove(c.id, { force: false, volumes: false });
        this.execs.forget(c.id);
        deleted.push(c.id);
        reclaimed += size;
      } catch (err) {
        if (!isNotFound(err)) this.log.warn('prune container', { id: c.id, error: (err as Error).message });
      }
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  // ---------------------------------------------------------------- ExecBackend

  async createExec(ref: string, req: ExecCreateRequest): Promise<{ Id: string }> {
    const id = this.execs.create(ref, {
      cmd: req.Cmd ?? [],
      env: req.Env ?? [],
      user: req.User ?? '',
      workingDir: req.WorkingDir ?? '',
      tty: req.Tty ?? false,
      privileged: req.Privileged ?? false,
      attachStdin: req.AttachStdin ?? false,
      attachStdout: req.AttachStdout ?? false,
      attachStderr: req.AttachStderr ?? false,
      detachKeys: req.DetachKeys ?? '',
      ...(req.ConsoleSize ? { consoleSize: req.ConsoleSize } : {}),
    });
    return { Id: id };
  }

  async inspectExec(id: string): Promise<ExecInspect> {
    const e = this.execs.get(id);
    return {
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.config.detachKeys,
      ExitCode: e.exitCode,
      ID: e.id,
      OpenStderr: e.config.attachStderr,
      OpenStdin: e.config.attachStdin,
      OpenStdout: e.config.attachStdout,
      ProcessConfig: {
        arguments: e.config.cmd.slice(1),
        entrypoint: e.config.cmd[0] ?? '',
        privileged: e.config.privileged,
        tty: e.config.tty,
        user: e.config.user,
      },
      Running: e.running,
      Pid: e.pid,
    };
  }

  resizeExec(id: string, height: number, width: number): Promise<void> {
    return this.execs.resize(id, height, width);
  }

  async prepareExecStart(id: string, req: ExecStartRequest): Promise<{ tty: boolean }> {
    const e = this.execs.prepare(id);
    if (req.ConsoleSize) e.config.consoleSize = req.ConsoleSize;
    return { tty: e.config.tty };
  }

  startExec(id: string, _req: ExecStartRequest, conn: Duplex | undefined): Promise<void> {
    return this.execs.start(id, conn);
  }

  /** The ExecBackend view (routes/exec.ts names). */
  get execBackend(): ExecBackend {
    return {
      create: (c, r) => this.createExec(c, r),
      inspect: (id) => this.inspectExec(id),
      resize: (id, h, w) => this.resizeExec(id, h, w),
      prepareStart: (id, r) => this.prepareExecStart(id, r),
      start: (id, r, conn) => this.startExec(id, r, conn),
    };
  }
}

/** The image side the container component needs, from the image service. */
export interface ImageLookup {
  getImage(refOrId: string): Promise<{ id: string; config: { config?: ImageRuntimeConfig }; chainIds: string[] }>;
}

/** An ImageProvider over the image service: the image's config and its top snapshot (chainID). */
export function imageProvider(images: ImageLookup, snapshotter: Snapshotter): ImageProvider {
  return {
    async resolve(ref) {
      const img = await images.getImage(ref);
      const top = img.chainIds.at(-1);
      if (top) {
        try {
          await snapshotter.stat(top);
        } catch (err) {
          if (isNotFound(err)) throw failedPrecondition(`image "${ref}" is not unpacked: its top layer snapshot "${top}" is missing`);
          throw err;
        }
      }
      return { id: img.id, config: img.config.config ?? {}, ...(top ? { snapshotParent: top } : {}) };
    },
  };
}

export interface ContainerWiring {
  db: MetadataDb;
  dataRoot: string;
  execRoot: string;
  snapshotter: Snapshotter;
  images: ImageProvider;
  volumes?: VolumeProvider;
  events: EventPublisher;
  log: Logger;
  router: Router;
  /** Runtime state root (default `<exec-root>/rt`; short, as monitor socket paths must be). */
  runtimeRoot?: string;
  /** Reads a cgroup's statistics for `stats` (the runtime's cgroup manager). */
  cgroupStats?: (cgroupsPath: string) => RuntimeCgroupStats;
  /** Default bridge flags (`--bridge`, `--bip`). */
  network?: NetworkFlags;
}

/**
 * Builds the container half of the engine for berthd: the runtime library, the container service
 * and execs, their API routes (registered on `router`), then reconciles the records with the
 * monitors still running (live restore). Returns the service for the rest of the daemon.
 */
export async function wireContainers(w: ContainerWiring): Promise<{ service: ContainerService; execs: ExecManager; backend: DaemonContainerBackend }> {
  const log = w.log.with({ component: 'containers' });
  const runtime = new Runtime({ root: w.runtimeRoot ?? join(w.execRoot, 'rt'), logger: log.with({ component: 'runtime' }) });
  const cgroupParent = '/berth';
  const tasks = new RuntimeTasks(runtime, {
    execLogDir: join(w.execRoot, 'exec-logs'),
    log,
    cgroupParent,
    ...(w.cgroupStats ? { cgroupStats: w.cgroupStats } : {}),
  });
  const initBinary = binPath('berth-init');
  const network = createNetworkManager({ dataRoot: w.dataRoot, execRoot: w.execRoot, log: w.log, events: w.events, ...(w.network ? { flags: w.network } : {}) });
  const service = new ContainerService({
    network,
    db: w.db,
    dataRoot: w.dataRoot,
    execRoot: w.execRoot,
    snapshotter: w.snapshotter,
    images: w.images,
    ...(w.volumes ? { volumes: w.volumes } : {}),
    tasks,
    events: { publish: (e) => w.events.publish({ type: 'container', action: e.action, id: e.id, attributes: e.attributes }) },
    log,
    hostCapabilities: capabilitiesFromMask(readCapabilitySet('CapBnd')),
    ...(existsSync(initBinary) ? { initBinary } : {}),
    seccomp: (profile, caps) => (profile ? parseSeccompProfile(profile) : dockerDefaultSeccomp(caps)),
    cgroupParent,
    blkio: blkioSupport(),
  });
  const execs = new ExecManager(service, { publish: (e) => w.events.publish({ type: 'container', action: e.action, id: e.id, attributes: e.attributes }) }, log);
  const backend = new DaemonContainerBackend(service, execs, log, async (c) => (await w.snapshotter.usage(c.snapshotKey)).size);
  registerContainerRoutes(w.router, backend);
  registerExecRoutes(w.router, backend.execBackend);
  await service.restore();
  backend.networks = await startNetworking(network, service, w.router);
  return { service, execs, backend };
}

/** A `--security-opt seccomp=<json>` profile: docker's profile format is close enough to OCI's to pass through. */
function parseSeccompProfile(text: string): LinuxSeccomp {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`decoding seccomp profile failed: ${(err as Error).message}`);
  }
  const p = v as LinuxSeccomp & { archMap?: { architecture: string; subArchitectures?: string[] }[] };
  if (!p || typeof p !== 'object' || typeof p.defaultAction !== 'string') throw invalidArgument('decoding seccomp profile failed: defaultAction is required');
  const out: LinuxSeccomp = { defaultAction: p.defaultAction };
  if (p.architectures) out.architectures = p.architectures;
  else if (p.archMap) out.architectures = p.archMap.flatMap((a) => [a.architecture, ...(a.subArchitectures ?? [])]);
  if (p.syscalls) out.syscalls = p.syscalls.map((s) => ({ ...s, names: s.names ?? ((s as { name?: string }).name ? [(s as unknown as { name: string }).name] : []) }));
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  return out;
}
