import type { ContainerState } from './state.ts';

/**
 * The container's own vocabulary: a *container* is the record (config, state, name), its *task*
 * is the running process the runtime manages. These types mirror docker's Config and HostConfig
 * in camelCase; the API edge (src/daemon/containers-backend.ts) translates the wire shapes.
 */
export interface HealthConfig {
  /** ["NONE"] disables, ["CMD", ...] exec form, ["CMD-SHELL", "cmd"] shell form; [] inherits. */
  test: string[];
  /** Nanoseconds, 0 = default (30s, 30s, 0, 5s, 3 retries). */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface ContainerConfig {
  hostname: string;
  domainname: string;
  user: string;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  exposedPorts: string[];
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  env: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  image: string;
  volumes: string[];
  workingDir: string;
  labels: Record<string, string>;
  stopSignal: string;
  stopTimeout: number | null;
  healthcheck: HealthConfig | null;
  networkDisabled: boolean;
  argsEscaped?: boolean;
  onBuild?: string[] | null;
}

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  target: string;
  readOnly: boolean;
  /** bind: propagation; volume: nocopy; tmpfs: size/mode. */
  bindPropagation?: string;
  noCopy?: boolean;
  tmpfsSize?: number;
  tmpfsMode?: number;
  volumeLabels?: Record<string, string>;
  volumeDriverOpts?: Record<string, string>;
}

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface RestartPolicy {
  name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maximumRetryCount: number;
}

export interface LogConfig {
  type: string;
  config: Record<string, string>;
}

/** A block device and a rate (bytes or operations per second), as `--device-read-bps /dev/sda:1mb`. */
export interface ThrottleDevice {
  path: string;
  rate: number;
}

export interface WeightDevice {
  path: string;
  weight: number;
}

export interface Resources {
  memory: number;
  memorySwap: number;
  memoryReservation: number;
  nanoCpus: number;
  cpuShares: number;
  cpuQuota: number;
  cpuPeriod: number;
  cpusetCpus: string;
  cpusetMems: string;
  pidsLimit: number | null;
  blkioWeight: number;
  blkioWeightDevice: WeightDevice[];
  blkioDeviceReadBps: ThrottleDevice[];
  blkioDeviceWriteBps: ThrottleDevice[];
  blkioDeviceReadIOps: ThrottleDevice[];
  blkioDeviceWriteIOps: ThrottleDevice[];
  ulimits: Ulimit[];
  oomKillDisable: boolean | null;
}

export interface HostConfig extends Resources {
  binds: string[];
  mounts: MountSpec[];
  tmpfs: Record<string, string>;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  readonlyRootfs: boolean;
  init: boolean | null;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  networkMode: string;
  autoRemove: boolean;
  restartPolicy: RestartPolicy;
  oomScoreAdj: number;
  shmSize: number;
  sysctls: Record<string, string>;
  logConfig: LogConfig;
  /** Kept for inspect/ps; publishing comes with bridge networking. */
  portBindings: Record<string, { hostIp: string; hostPort: string }[]>;
  publishAllPorts: boolean;
  groupAdd: string[];
  ipcMode: string;
  pidMode: string;
  utsMode: string;
  /** "" or "host" (Berth makes no user namespaces, so both mean the host's). */
  usernsMode: string;
  devices: { pathOnHost: string; pathInContainer: string; cgroupPermissions: string }[];
  /** Extra devices cgroup rules, as `c 1:3 rmw` or `a *:* rwm`. */
  deviceCgroupRules: string[];
  consoleSize: [number, number];
}

/** A mount point as inspect shows it (resolved from Binds, Mounts, Tmpfs, Volumes). */
export interface MountPoint {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Volume name for volumes. */
  name: string;
  source: string;
  destination: string;
  driver: string;
  mode: string;
  rw: boolean;
  propagation: string;
  /** Anonymous volumes are removed with `rm -v` and AutoRemove. */
  anonymous: boolean;
  /** tmpfs options (size=..,mode=..). */
  options?: string[];
}

/** The container record persisted in the metadata db and in containers/<id>/config.v2.json. */
export interface Container {
  id: string;
  name: string;
  created: string;
  /** Image reference as the user gave it and the resolved image id (sha256:...). */
  imageRef: string;
  imageId: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  /** Entrypoint+Cmd resolved: path and args as inspect shows them. */
  path: string;
  args: string[];
  restartCount: number;
  mountPoints: MountPoint[];
  /** Snapshot key of the container's rw layer. */
  snapshotKey: string;
  /** Files under containers/<id>/. */
  logPath: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  /** Monotonic counter for exec ids etc. is not needed; exec ids live in memory. */
  execIds: string[];
}
