/**
 * Container wire types the CLI needs, in docker's field names. Defined here until
 * src/api/types exports container types; kept loose (optional fields) so any daemon answer fits.
 */
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: HealthConfig;
  Image?: string;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Entrypoint?: string[];
  NetworkDisabled?: boolean;
  Labels?: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
  MacAddress?: string;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface HostConfig {
  Binds?: string[];
  Mounts?: MountSpec[];
  Tmpfs?: Record<string, string>;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[]>;
  PublishAllPorts?: boolean;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  CapAdd?: string[];
  CapDrop?: string[];
  SecurityOpt?: string[];
  Dns?: string[];
  DnsOptions?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[];
  Init?: boolean;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number;
  Ulimits?: Ulimit[];
  OomKillDisable?: boolean;
  LogConfig?: { Type: string; Config: Record<string, string> };
  ShmSize?: number;
  Runtime?: string;
  GroupAdd?: string[];
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[];
  BlkioDeviceReadBps?: { Path: string; Rate: number }[];
  BlkioDeviceWriteBps?: { Path: string; Rate: number }[];
  BlkioDeviceReadIOps?: { Path: string; Rate: number }[];
  BlkioDeviceWriteIOps?: { Path: string; Rate: number }[];
  DeviceCgroupRules?: string[];
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  Sysctls?: Record<string, string>;
}

export interface EndpointSettings {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string };
  MacAddress?: string;
  IPAddress?: string;
  Gateway?: string;
  NetworkID?: string;
}

export interface ContainerCreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings> };
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings?: string[] | null;
}

export interface ContainerPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerMountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  Ports?: ContainerPort[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, EndpointSettings> } | null;
  Mounts?: ContainerMountPoint[] | null;
}

export interface ContainerState {
  Status: string;
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
  Health?: { Status: string; FailingStreak: number; Log?: unknown[] };
}

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  Name: string;
  RestartCount?: number;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  NetworkSettings?: {
    Ports?: Record<string, PortBinding[] | null> | null;
    Networks?: Record<string, EndpointSettings>;
    IPAddress?: string;
  };
  Mounts?: ContainerMountPoint[];
  [key: string]: unknown;
}

export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

export interface ContainerTopResponse {
  Titles: string[];
  Processes: string[][];
}

export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

export interface ContainerUpdateRequest extends Partial<HostConfig> {}

export interface ContainerUpdateResponse {
  Warnings?: string[] | null;
}

export interface ContainerPruneResponse {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

export interface ContainerStats {
  read: string;
  preread?: string;
  id?: string;
  name?: string;
  pids_stats?: { current?: number; limit?: number };
  num_procs?: number;
  cpu_stats: {
    cpu_usage: { total_usage: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats: {
    cpu_usage: { total_usage: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
}

export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[];
  Cmd: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
  ConsoleSize?: [number, number];
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig?: { tty?: boolean; entrypoint?: string; arguments?: string[] };
  OpenStdin?: boolean;
  ContainerID: string;
  Pid?: number;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}
