import { existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import type { ContainerSummary, DiskUsageResponse, ImageSummary, InfoResponse, VersionResponse, Volume } from '../api/types/index.ts';
import { maxApiVersion, minApiVersion } from '../api/types/index.ts';
import type { SystemBackend } from '../api/server/index.ts';
import type { BlkioSupport } from '../containers/index.ts';

/** Counts and usage the system endpoints need from the other services (each optional until wired). */
export interface SystemSources {
  containerCounts?: () => Promise<{ running: number; paused: number; stopped: number }>;
  imageCount?: () => Promise<number>;
  /** The parts of `/system/df`, each in its list shape. */
  diskUsage?: {
    images?: () => Promise<{ items: ImageSummary[]; layersSize: number }>;
    containers?: () => Promise<ContainerSummary[]>;
    volumes?: () => Promise<Volume[]>;
  };
  eventListeners?: () => number;
}

export interface SystemInfoOptions {
  version: string;
  gitCommit: string;
  dataRoot: string;
  engineId: string;
  labels: string[];
  debug: boolean;
  runtimePath: string;
}

const cgroup2Magic = 0x63677270;

/** The blkio controls this kernel offers: the cgroup v1 files, or everything on v2 (io.weight, io.max). */
export function blkioSupport(): BlkioSupport {
  if (cgroupVersion() === '2') return { weight: true, weightDevice: true, readBps: true, writeBps: true, readIOps: true, writeIOps: true };
  const has = (f: string) => existsSync(`/sys/fs/cgroup/blkio/${f}`);
  const weight = has('blkio.weight') || has('blkio.bfq.weight');
  return {
    weight,
    weightDevice: has('blkio.weight_device') || has('blkio.bfq.weight_device'),
    readBps: has('blkio.throttle.read_bps_device'),
    writeBps: has('blkio.throttle.write_bps_device'),
    readIOps: has('blkio.throttle.read_iops_device'),
    writeIOps: has('blkio.throttle.write_iops_device'),
  };
}

/** docker info's warnings for missing blkio controls. */
export function blkioWarnings(b: BlkioSupport): string[] | null {
  const w: string[] = [];
  if (!b.weight) w.push('WARNING: No blkio weight support');
  if (!b.weightDevice) w.push('WARNING: No blkio weight_device support');
  if (!b.readBps) w.push('WARNING: No blkio throttle.read_bps_device support');
  if (!b.writeBps) w.push('WARNING: No blkio throttle.write_bps_device support');
  if (!b.readIOps) w.push('WARNING: No blkio throttle.read_iops_device support');
  if (!b.writeIOps) w.push('WARNING: No blkio throttle.write_iops_device support');
  return w.length ? w : null;
}

/** "2" on a unified cgroup hierarchy, "1" on v1 or hybrid (this machine). */
export function cgroupVersion(): '1' | '2' {
  try {
    return statfsSync('/sys/fs/cgroup').type === cgroup2Magic ? '2' : '1';
  } catch {
    return '1';
  }
}

function osRelease(): { pretty: string; version: string } {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1];
    return { pretty: field('PRETTY_NAME') || 'Linux', version: field('VERSION_ID') || '' };
  } catch {
    return { pretty: 'Linux', version: '' };
  }
}

function readProcFlag(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

/** `/version`, `/info` and `/system/df` from the real machine and the daemon's services. */
export class DaemonSystemBackend implements SystemBackend {
  private readonly os = osRelease();
  private readonly cgroup = cgroupVersion();

  constructor(
    private readonly options: SystemInfoOptions,
    private readonly sources: SystemSources = {},
  ) {}

  /** Wires sources that exist only after the API started (services built later). */
  setSources(sources: SystemSources): void {
    Object.assign(this.sources, sources);
  }

  version(): VersionResponse {
    const o = this.options;
    const details = {
      ApiVersion: maxApiVersion,
      Arch: goArch(),
      BuildTime: '',
      Experimental: 'false',
      GitCommit: o.gitCommit,
      GoVersion: `node ${process.version}`,
      KernelVersion: release(),
      MinAPIVersion: minApiVersion,
      Os: 'linux',
    };
    return {
      Platform: { Name: 'Berth Engine' },
      Components: [
        { Name: 'Engine', Version: o.version, Details: details },
        { Name: 'berth-runtime', Version: o.version, Details: { GitCommit: o.gitCommit } },
      ],
      Version: o.version,
      ApiVersion: maxApiVersion,
      MinAPIVersion: minApiVersion,
      GitCommit: o.gitCommit,
      GoVersion: details.GoVersion,
      Os: 'linux',
      Arch: details.Arch,
      KernelVersion: details.KernelVersion,
      BuildTime: '',
    };
  }

  async info(): Promise<InfoResponse> {
    const o = this.options;
    const counts = (await this.sources.containerCounts?.()) ?? { running: 0, paused: 0, stopped: 0 };
    const images = (await this.sources.imageCount?.()) ?? 0;
    const v1 = this.cgroup === '1';
    const hasV1 = (c: string) => existsSync(`/sys/fs/cgroup/${c}`);
    return {
      ID: o.engineId,
      Containers: counts.running + counts.paused + counts.stopped,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: images,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', backingFs(o.dataRoot)],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'true'],
        ['userxattr', 'false'],
      ],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: v1 ? hasV1('memory') : true,
      SwapLimit: v1 ? existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes') : true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: v1 ? hasV1('cpuset') : true,
      PidsLimit: v1 ? hasV1('pids') : true,
      IPv4Forwarding: readProcFlag('/proc/sys/net/ipv4/ip_forward'),
      BridgeNfIptables: readProcFlag('/proc/sys/net/bridge/bridge-nf-call-iptables'),
      BridgeNfIp6tables: readProcFlag('/proc/sys/net/bridge/bridge-nf-call-ip6tables'),
      Debug: o.debug,
      NFd: openFds(),
      OomKillDisable: v1,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: this.cgroup,
      NEventsListener: this.sources.eventListeners?.() ?? 0,
      KernelVersion: release(),
      OperatingSystem: this.os.pretty,
      OSVersion: this.os.version,
      OSType: 'linux',
      Architecture: arch() === 'x64' ? 'x86_64' : arch(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null,
        AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
        IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
        Mirrors: [],
      },
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: o.dataRoot,
      HttpProxy: process.env['HTTP_PROXY'] ?? process.env['http_proxy'] ?? '',
      HttpsProxy: process.env['HTTPS_PROXY'] ?? process.env['https_proxy'] ?? '',
      NoProxy: process.env['NO_PROXY'] ?? process.env['no_proxy'] ?? '',
      Name: hostname(),
      Labels: o.labels,
      ExperimentalBuild: false,
      ServerVersion: o.version,
      Runtimes: { berth: { path: o.runtimePath } },
      DefaultRuntime: 'berth',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'berth-init',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin'],
      Warnings: blkioWarnings(blkioSupport()),
    };
  }

  async diskUsage(options: { types: string[] }): Promise<DiskUsageResponse> {
    const want = (t: string) => options.types.length === 0 || options.types.includes(t);
    const du = this.sources.diskUsage ?? {};
    const images = want('image') && du.images ? await du.images() : { items: [], layersSize: 0 };
    return {
      LayersSize: images.layersSize,
      Images: images.items,
      Containers: want('container') && du.containers ? await du.containers() : [],
      Volumes: want('volume') && du.volumes ? await du.volumes() : [],
      BuildCache: [],
    };
  }
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** The filesystem type under the data root, as docker names it ("extfs", "xfs", "tmpfs" ...). */
function backingFs(dir: string): string {
  const names: Record<number, string> = {
    0xef53: 'extfs',
    0x58465342: 'xfs',
    0x01021994: 'tmpfs',
    0x9123683e: 'btrfs',
    0x794c7630: 'overlayfs',
  };
  try {
    return names[statfsSync(dir).type] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
