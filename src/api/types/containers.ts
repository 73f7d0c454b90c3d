/**
 * Container and exec wire types of the Docker Engine API (docker's own field names and shapes),
 * as docker 28.x CLI and docker-py read them.
 */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface MountRequest {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] } | null;
}

export interface HealthcheckConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface ContainerConfigWire {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Healthcheck?: HealthcheckConfig | null;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | string | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

export interface UlimitWire {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface RestartPolicyWire {
  /** Empty means no restart, as `no` does. */
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface DeviceMappingWire {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface WeightDeviceWire {
  Path: string;
  Weight: number;
}

export interface ThrottleDeviceWire {
  Path: string;
  Rate: number;
}

/** The resource part of HostConfig, also the body of `POST /containers/{id}/update`. */
export interface ResourcesWire {
  CpuShares?: number;
  Memory?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDeviceWire[] | null;
  BlkioDeviceReadBps?: ThrottleDeviceWire[] | null;
  BlkioDeviceWriteBps?: ThrottleDeviceWire[] | null;
  BlkioDeviceReadIOps?: ThrottleDeviceWire[] | null;
  BlkioDeviceWriteIOps?: ThrottleDeviceWire[] | null;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMappingWire[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: unknown[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  NanoCpus?: number;
  OomKillDisable?: boolean | null;
  Init?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: UlimitWire[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
  RestartPolicy?: RestartPolicyWire;
}

export interface HostConfigWire extends ResourcesWire {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: { Type: string; Config: Record<string, string> | null };
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  ConsoleSize?: [number, number] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: string;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  Mounts?: MountRequest[] | null;
}

/** The addresses asked for on one network (`--ip`, `--ip6`, `--link-local-ip`). */
export interface EndpointIpamConfig {
  IPv4Address?: string;
  IPv6Address?: string;
  LinkLocalIPs?: string[] | null;
}

export interface EndpointSettings {
  IPAMConfig: EndpointIpamConfig | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

/** `POST /containers/create` body. */
export interface ContainerCreateRequest extends ContainerConfigWire {
  HostConfig?: HostConfigWire | null;
  NetworkingConfig?: { EndpointsConfig?: Record<string, Partial<EndpointSettings>> | null } | null;
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

export interface HealthLogWire {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface ContainerStateWire {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: HealthLogWire[] };
}

export interface MountPointWire {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface NetworkSettingsWire {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  HairpinMode: boolean;
  LinkLocalIPv6Address: string;
  LinkLocalIPv6PrefixLen: number;
  Ports: Record<string, PortBinding[] | null>;
  SecondaryIPAddresses: null;
  SecondaryIPv6Addresses: null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

/** `GET /containers/{id}/json`. */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerStateWire;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfigWire;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountPointWire[];
  Config: ContainerConfigWire;
  NetworkSettings: NetworkSettingsWire;
}

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** One entry of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummary[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string; Annotations?: Record<string, string> };
  NetworkSettings: { Networks: Record<string, EndpointSettings> };
  Mounts: MountPointWire[];
}

export interface ContainerWaitResponse {
  StatusCode: number;
  Error: { Message: string } | null;
}

export interface ContainerTopResponse {
  Titles: string[];
  Processes: string[][];
}

export interface ContainerChange {
  Path: string;
  /** 0 modified, 1 added, 2 deleted. */
  Kind: 0 | 1 | 2;
}

/** `POST /containers/{id}/update` body: the resources and the restart policy. */
export type ContainerUpdateRequest = ResourcesWire;

export interface ContainerUpdateResponse {
  Warnings: string[];
}

export interface ContainerPruneResponse {
  /** Null when nothing was removed, as docker answers. */
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** `X-Docker-Container-Path-Stat` (base64 JSON) of the archive endpoints. */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface CpuStatsWire {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

/** One entry of the blkio lists of a stats sample (cgroup v1 names them by device). */
export interface BlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** `GET /containers/{id}/stats`: one JSON object per line when streaming. */
export interface ContainerStatsWire {
  name: string;
  id: string;
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioStatEntry[] | null;
    io_serviced_recursive: BlkioStatEntry[] | null;
    io_queue_recursive: BlkioStatEntry[] | null;
    io_service_time_recursive: BlkioStatEntry[] | null;
    io_wait_time_recursive: BlkioStatEntry[] | null;
    io_merged_recursive: BlkioStatEntry[] | null;
    io_time_recursive: BlkioStatEntry[] | null;
    sectors_recursive: BlkioStatEntry[] | null;
  };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStatsWire;
  precpu_stats: CpuStatsWire;
  memory_stats: { usage?: number; max_usage?: number; limit?: number; stats?: Record<string, number>; failcnt?: number };
  networks?: Record<string, { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }>;
}

/** `POST /containers/{id}/exec` body. */
export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ConsoleSize?: [number, number] | null;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** `GET /exec/{id}/json`. */
export interface ExecInspect {
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  ExitCode: number | null;
  ID: string;
  OpenStderr: boolean;
  OpenStdin: boolean;
  OpenStdout: boolean;
  ProcessConfig: { arguments: string[]; entrypoint: string; privileged: boolean; tty: boolean; user: string };
  Running: boolean;
  Pid: number;
}
