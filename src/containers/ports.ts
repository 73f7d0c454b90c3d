import type { Readable, Writable } from 'node:stream';
import type { LinuxResources, Process, Spec } from '../runtime/index.ts';
import type { ImageRuntimeConfig } from './merge-config.ts';
import type { Container } from './types.ts';

/**
 * What the container service needs from the rest of the engine, as small role interfaces
 * (containerd style). The daemon wires them to the image service, the volume service, the
 * runtime library and its events service.
 */

/** An image resolved for a container. */
export interface ContainerImage {
  /** The image id (sha256:<config digest>). */
  id: string;
  config: ImageRuntimeConfig;
  /** The committed snapshot (top layer's chainID) the container's rw layer stacks on; none for an empty image. */
  snapshotParent?: string;
}

export interface ImageProvider {
  /** Resolves a reference or id to an image whose layers are unpacked; not-found otherwise. */
  resolve(ref: string): Promise<ContainerImage>;
}

export interface VolumeRef {
  name: string;
  driver: string;
  /** Host directory of the volume's data. */
  mountpoint: string;
}

export interface VolumeProvider {
  /** Gets the named volume, creating it when missing (an anonymous one when name is undefined). */
  acquire(name: string | undefined, options: { labels?: Record<string, string>; driverOpts?: Record<string, string>; anonymous: boolean }): Promise<VolumeRef>;
  /** Removes a volume (anonymous volumes on `rm -v` / AutoRemove); in-use or missing is ignored. */
  remove(name: string): Promise<void>;
}

export interface ContainerEvent {
  action: string;
  id: string;
  attributes: Record<string, string>;
}

export interface EventSink {
  publish(event: ContainerEvent): void;
}

/** How a task was stopped. */
export interface TaskExit {
  exitCode: number;
  /** RFC 3339. */
  exitedAt: string;
  oomKilled: boolean;
}

export interface TaskIO {
  terminal: boolean;
  /** Keep a stdin open for attach (`-i`). */
  openStdin: boolean;
  /** json-file log written by the monitor. */
  logPath: string;
  logMaxSize: number;
  logMaxFiles: number;
  /** Start the process as soon as it is created (one round trip; no separate start()). */
  autostart?: boolean;
  /**
   * `StdinOnce`: stdin closes when the attached client's input ends, and that end travels on the
   * attach socket behind the client's bytes (none is lost to an overtaking close).
   */
  stdinOnce?: boolean;
}

/** Live stdio of a task or exec: stdout carries both streams when there is a terminal. */
export interface TaskStreams {
  stdin: Writable | undefined;
  stdout: Readable;
  stderr: Readable | undefined;
  /** Stops relaying without affecting the process (detach). */
  close(): void;
}

export interface TaskState {
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

export interface CgroupStats {
  cpuUsageTotal: number;
  cpuUsageKernel: number;
  cpuUsageUser: number;
  perCpu: number[];
  systemCpuUsage: number;
  onlineCpus: number;
  throttledPeriods: number;
  throttledTime: number;
  periods: number;
  memoryUsage: number;
  memoryMaxUsage: number;
  memoryLimit: number;
  memoryStats: Record<string, number>;
  memoryFailcnt: number;
  pidsCurrent: number;
  pidsLimit: number;
  blkioServiceBytes: { major: number; minor: number; op: string; value: number }[];
}

/**
 * The task half (runtime + monitor). A task is created from a bundle (the mounted rootfs) and
 * its OCI spec, started, and supervised by its monitor, which survives the daemon; `wait` resolves
 * when the monitor reports the exit (also for tasks found again after a daemon restart).
 */
export interface Tasks {
  /** `spec` is the bundle's config.json, handed over in memory (the bundle holds only rootfs). */
  create(id: string, bundle: string, spec: Spec, io: TaskIO): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  /** undefined when no task (or monitor) exists. */
  state(id: string): Promise<TaskState | undefined>;
  wait(id: string): Promise<TaskExit>;
  kill(id: string, signal: number, options?: { all?: boolean }): Promise<void>;
  /** Removes the task's runtime state after exit (and the monitor's files). */
  delete(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  ps(id: string): Promise<number[]>;
  update(id: string, resources: LinuxResources): Promise<void>;
  stats(id: string): Promise<CgroupStats>;
  /** `stdinOnce` as the task was created with (the end of stdin is sent in band). */
  attach(id: string, options: { stdin: boolean; stdinOnce?: boolean }): Promise<TaskStreams>;
  resize(id: string, height: number, width: number): Promise<void>;
  exec(
    id: string,
    execId: string,
    process: Process,
    options: { stdin: boolean; attach: boolean },
  ): Promise<{ pid: number; streams: TaskStreams | undefined; exit: Promise<number> }>;
  resizeExec(id: string, execId: string, height: number, width: number): Promise<void>;
}

/**
 * The container's networking, set up by the daemon around each task: `attach` before the task is
 * created (returns the namespace to join; none: a new one, or the host's with NetworkMode host),
 * `detach` after it exited or failed to start, `remove` when the record goes. All idempotent.
 */
export interface NetworkAttacher {
  /** `env`: variables the network adds to the process (legacy links), before the container's own. */
  attach(c: Container): Promise<{ netnsPath?: string; env?: string[] }>;
  detach(c: Container): Promise<void>;
  remove(c: Container): Promise<void>;
}
