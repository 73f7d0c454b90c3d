/**
 * TypeScript types for the OCI runtime spec (opencontainers/runtime-spec 1.x): config.json
 * (config.md, config-linux.md) and the container state (runtime.md). Field names follow the
 * spec exactly; every optional field of the spec is optional here.
 */

/** The whole config.json of a bundle. */
export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Root {
  path: string;
  readonly?: boolean;
}

export interface Box {
  height: number;
  width: number;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  /** Windows only; kept for completeness. */
  username?: string;
}

export type CapabilityName = string;

export interface LinuxCapabilities {
  bounding?: CapabilityName[];
  effective?: CapabilityName[];
  inheritable?: CapabilityName[];
  permitted?: CapabilityName[];
  ambient?: CapabilityName[];
}

export interface POSIXRlimit {
  /** e.g. "RLIMIT_NOFILE". */
  type: string;
  hard: number;
  soft: number;
}

export interface LinuxIOPriority {
  class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
  priority: number;
}

export interface LinuxScheduler {
  policy: string;
  nice?: number;
  priority?: number;
  flags?: string[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: Box;
  user: User;
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: LinuxCapabilities;
  rlimits?: POSIXRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  ioPriority?: LinuxIOPriority;
  scheduler?: LinuxScheduler;
  execCPUAffinity?: { initial?: string; final?: string };
}

export interface LinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Hooks {
  /** Deprecated in the spec but still run by runc/crun (in the runtime namespace, after createRuntime point). */
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type HookName = keyof Hooks;

export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface LinuxNamespace {
  type: LinuxNamespaceType;
  path?: string;
}

export interface LinuxDevice {
  /** Path inside the container. */
  path: string;
  /** "c", "b", "u" or "p". */
  type: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** A device cgroup rule (linux.resources.devices). */
export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a", "c" or "b"; absent means all. */
  type?: string;
  /** absent or -1 means all. */
  major?: number | null;
  minor?: number | null;
  /** combination of "r", "w", "m". */
  access?: string;
}

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxPids {
  limit: number;
}

export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** e.g. "2MB", "1GB". */
  pageSize: string;
  limit: number;
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name → value, written as is. */
  unified?: Record<string, string>;
}

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type SeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

/** e.g. "SCMP_ARCH_X86_64". */
export type SeccompArch = string;

export type SeccompFlag = 'SECCOMP_FILTER_FLAG_TSYNC' | 'SECCOMP_FILTER_FLAG_LOG' | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW' | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

export interface LinuxSeccompArg {
  index: number;
  /** 64-bit values may exceed 2^53: a bigint is accepted when built in code. */
  value: number | bigint;
  valueTwo?: number | bigint;
  op: SeccompOperator;
}

export interface LinuxSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: SeccompArch[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

export interface LinuxIntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  enableCMT?: boolean;
  enableMBM?: boolean;
}

export interface LinuxPersonality {
  /** "LINUX" or "LINUX32". */
  domain: string;
  flags?: string[];
}

export interface LinuxTimeOffset {
  secs?: number;
  nanosecs?: number;
}

export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  devices?: LinuxDevice[];
  cgroupsPath?: string;
  resources?: LinuxResources;
  sysctl?: Record<string, string>;
  seccomp?: LinuxSeccomp;
  /** "shared", "slave", "private", "unbindable" (and the r* forms runc accepts). */
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: LinuxIntelRdt;
  personality?: LinuxPersonality;
  /** key: "boottime" or "monotonic". */
  timeOffsets?: Record<string, LinuxTimeOffset>;
}

/** The container status values of the OCI state. */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** The OCI state (runtime.md "State"), as `state` prints it and hooks receive on stdin. */
export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Present when the container process exists (created, running, paused). */
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
