import type { Logger } from '../lib/index.ts';
import type { Process, Spec } from './spec/index.ts';
import type { CgroupMode } from './cgroups/index.ts';

export type ContainerStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** The OCI state of a container (runtime-spec "State"), as `state` prints it. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Host pid of the container process (0 once stopped, as runc prints it). */
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
  /** RFC 3339 creation time (runc prints it too). */
  created: string;
}

/** How a container's (or an exec's) process ended. */
export interface ExitStatus {
  /** exit code, or 128 + signal number */
  exitCode: number;
  /** the terminating signal, 0 for a normal exit */
  signal: number;
  /** RFC 3339 */
  exitedAt: string;
  oomKilled: boolean;
}

/**
 * Where the container's stdio goes:
 * - inherit: the caller's fds (default 0, 1, 2), as runc does in the foreground;
 * - null: /dev/null;
 * - log: the monitor holds the pipes (or the pty), writes the docker json-file log at logPath,
 *   and serves the attach socket (stdin only with openStdin).
 */
export type StdioOptions =
  | { mode: 'inherit'; fds?: [number, number, number] }
  | { mode: 'null' }
  | { mode: 'log'; logPath?: string; logMaxSize?: number; logMaxFiles?: number; openStdin?: boolean; stdinOnce?: boolean };

export interface RuntimeOptions {
  /** State directory (runc's --root), e.g. /run/berth-runtime. */
  root: string;
  logger?: Logger;
  /** berth-shim binary; default bin/berth-shim of the project. */
  shimPath?: string;
  /**
   * The cgroup manager of new containers: detected from /sys/fs/cgroup by default; 'v2' on a
   * hybrid host uses its cgroup2 mount (/sys/fs/cgroup/unified). Kept per container in its state.
   */
  cgroupMode?: CgroupMode;
}

export interface CreateOptions {
  bundle: string;
  /**
   * The bundle's configuration, when the caller holds it (a runtime in the daemon's process):
   * validated as config.json would be, and bundle/config.json is neither read nor needed.
   */
  spec?: Spec;
  /** Written by the monitor with the container's host pid. */
  pidFile?: string;
  /** AF_UNIX socket path that receives the pty master (SCM_RIGHTS) when process.terminal. */
  consoleSocket?: string;
  stdio?: StdioOptions;
  /**
   * Fds of this process the container process gets as 3, 4... (runc's --preserve-fds N passes
   * [3, ..., 3+N-1]); they are not closed before exec.
   */
  extraFds?: number[];
  /** Overrides process.terminal's console size. */
  signal?: AbortSignal;
}

export interface RunOptions extends CreateOptions {
  /** Return once started instead of waiting for the exit. */
  detach?: boolean;
}

export interface RunResult {
  state: ContainerState;
  /** Set unless detached. */
  exit?: ExitStatus;
}

export interface ExecOptions {
  process: Process;
  /**
   * Leave the process blocked before exec until startExec (so an attach client connects first,
   * as docker's exec start does). Default: exec at once.
   */
  waitForStart?: boolean;
  /** Default: a random id. */
  execId?: string;
  pidFile?: string;
  consoleSocket?: string;
  stdio?: StdioOptions;
  /** Fds of this process the exec'd process gets as 3, 4... (as CreateOptions.extraFds). */
  extraFds?: number[];
}

export interface ExecResult {
  execId: string;
  pid: number;
  /** Resolves when the exec'd process exits. */
  exit: Promise<ExitStatus>;
}

export interface KillOptions {
  /** Signal every process of the container's cgroup. */
  all?: boolean;
}

export interface DeleteOptions {
  /** Kill a running or paused container first. */
  force?: boolean;
}

export type { Logger };
