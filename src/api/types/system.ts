/**
 * Engine API wire types for the system endpoints (`/_ping`, `/version`, `/info`, `/system/df`).
 * Docker's PascalCase field names live only in src/api/types.
 */
import type { ContainerSummary } from './containers.ts';
import type { ImageSummary } from './images.ts';
import type { Volume } from './volumes.ts';

/** The API versions berthd speaks: paths `/v1.24/...` up to `/v1.45/...`, and unversioned. */
export const minApiVersion = '1.24';
export const maxApiVersion = '1.45';

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

export interface VersionResponse {
  Platform: { Name: string };
  Components: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  Experimental?: boolean;
  BuildTime: string;
}

export interface IndexInfo {
  Name: string;
  Mirrors: string[];
  Secure: boolean;
  Official: boolean;
}

export interface RegistryServiceConfig {
  AllowNondistributableArtifactsCIDRs: string[] | null;
  AllowNondistributableArtifactsHostnames: string[] | null;
  InsecureRegistryCIDRs: string[];
  IndexConfigs: Record<string, IndexInfo>;
  Mirrors: string[];
}

export interface RuntimeInfo {
  path: string;
  runtimeArgs?: string[];
}

export interface Commit {
  ID: string;
  Expected?: string;
}

export interface InfoResponse {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: [string, string][];
  Plugins: { Volume: string[]; Network: string[]; Authorization: string[] | null; Log: string[] };
  MemoryLimit: boolean;
  SwapLimit: boolean;
  KernelMemory?: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  PidsLimit: boolean;
  IPv4Forwarding: boolean;
  BridgeNfIptables: boolean;
  BridgeNfIp6tables: boolean;
  Debug: boolean;
  NFd: number;
  OomKillDisable: boolean;
  NGoroutines: number;
  SystemTime: string;
  LoggingDriver: string;
  CgroupDriver: string;
  CgroupVersion: string;
  NEventsListener: number;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion: string;
  OSType: string;
  Architecture: string;
  IndexServerAddress: string;
  RegistryConfig: RegistryServiceConfig;
  NCPU: number;
  MemTotal: number;
  GenericResources: null;
  DockerRootDir: string;
  HttpProxy: string;
  HttpsProxy: string;
  NoProxy: string;
  Name: string;
  Labels: string[];
  ExperimentalBuild: boolean;
  ServerVersion: string;
  Runtimes: Record<string, RuntimeInfo>;
  DefaultRuntime: string;
  Swarm: {
    NodeID: string;
    NodeAddr: string;
    LocalNodeState: string;
    ControlAvailable: boolean;
    Error: string;
    RemoteManagers: null;
  };
  LiveRestoreEnabled: boolean;
  Isolation: string;
  InitBinary: string;
  ContainerdCommit: Commit;
  RuncCommit: Commit;
  InitCommit: Commit;
  SecurityOptions: string[];
  Warnings: string[] | null;
}

/** One build cache record of `GET /system/df`. */
export interface BuildCacheRecord {
  ID: string;
  Parents?: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

/**
 * `GET /system/df`. Images, containers and volumes in their list shapes, plus the build cache.
 * docker answers null for a list the `type` query left out.
 */
export interface DiskUsageResponse {
  LayersSize: number;
  Images: ImageSummary[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: Volume[] | null;
  BuildCache: BuildCacheRecord[] | null;
}

/**
 * docker's AuthConfig: the `POST /auth` body and, base64url-encoded, the `X-Registry-Auth`
 * header of pull, push and search. Its field names are lower-case on the wire.
 */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `username:password`, as ~/.docker/config.json keeps it. */
  auth?: string;
  /** Deprecated, still sent by old clients. */
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** `POST /auth` answer. */
export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}
