/**
 * The runtime library: OCI bundles → containers run by berth-shim, one monitor per container.
 * The daemon calls it in-process; berth-runtime (the runc-compatible CLI) is a thin shell over it.
 *
 * Lifecycle (runtime-spec): create → "created" (process blocked before exec) → start → "running"
 * → exit → "stopped" → delete. kill works in created/running/paused; pause/resume use the freezer.
 */
import type { Socket } from 'node:net';
import { existsSync, fstatSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  alreadyExists,
  berthError,
  binPath,
  errorCode,
  failedPrecondition,
  invalidArgument,
  isNotFound,
  messageOf,
  notFound,
  nullLogger,
  unavailable,
  wrap,
  randomHex,
  type ErrorCode,
  type Logger,
} from '../lib/index.ts';
import { connectAttach, controlRequest, isProcessAlive, processStartTime, spawnShim, type ShimChannel, type ShimStdio } from '../sys/index.ts';
import type { Hooks, LinuxDeviceCgroup, LinuxResources, Spec } from './spec/index.ts';
import { OCI_VERSION, alwaysAllowedDeviceRules, validateSpec } from './spec/index.ts';
import { parseSignal, readCapabilitySet } from './linux/index.ts';
import { compileExecPlan, compilePlan, encodePlan, type PlanContext, type PlanStdio } from './plan.ts';
import { createCgroupManager, detectCgroupMode, v1Hierarchies, type CgroupMode, type CgroupStats, type ContainerCgroupManager } from './cgroups/index.ts';
import { runHooks } from './hooks.ts';
import { assertCan } from './state-machine.ts';
import { StateStore, checkId, type StoredState } from './state-store.ts';
import type {
  ContainerState,
  ContainerStatus,
  CreateOptions,
  DeleteOptions,
  ExecOptions,
  ExecResult,
  ExitStatus,
  KillOptions,
  RunOptions,
  RunResult,
  RuntimeOptions,
  StdioOptions,
} from './types.ts';

const SUN_PATH_MAX = 107;

interface MonitorExit {
  pid: number;
  exitCode: number;
  signal: number;
  started: boolean;
  time: string;
}

function planStdio(s: StdioOptions | undefined): { plan: PlanStdio; fds: ShimStdio } {
  if (!s || s.mode === 'inherit') {
    const fds = s?.mode === 'inherit' && s.fds ? s.fds : [0, 1, 2];
    return { plan: { mode: 'inherit' }, fds: [fds[0] ?? 0, fds[1] ?? 1, fds[2] ?? 2] };
  }
  if (s.mode === 'null') return { plan: { mode: 'null' }, fds: ['ignore', 'ignore', 'ignore'] };
  const plan: PlanStdio = { mode: 'pipe' };
  if (s.openStdin) plan.openStdin = true;
  if (s.stdinOnce) plan.stdinOnce = true;
  if (s.logPath) plan.logPath = resolve(s.logPath);
  if (s.logMaxSize !== undefined) plan.logMaxSize = s.logMaxSize;
  if (s.logMaxFiles !== undefined) plan.logMaxFiles = s.logMaxFiles;
  return { plan, fds: ['ignore', 'ignore', 'ignore'] };
}

/** Extra fds to pass to the process, checked to be open fds of this process. */
function checkExtraFds(fds: readonly number[] | undefined): number[] {
  for (const fd of fds ?? []) {
    if (!Number.isInteger(fd) || fd < 0) throw invalidArgument(`preserve fds: invalid fd ${JSON.stringify(fd)}`);
    try {
      fstatSync(fd);
    } catch {
      throw invalidArgument(`preserve fds: fd ${fd} is not open`);
    }
  }
  return [...(fds ?? [])];
}

/** The devices every container may use whatever its rules say (runc's AllowedDevices). */
const defaultDeviceRules: LinuxDeviceCgroup[] = alwaysAllowedDeviceRules();

function withDefaultDevices(r: LinuxResources): LinuxResources {
  return r.devices ? { ...r, devices: [...r.devices, ...defaultDeviceRules] } : r;
}


export class Runtime {
  readonly root: string;
  private readonly logger: Logger;
  private readonly shimPath: string;
  private readonly store: StateStore;
  private readonly cgroupMode: CgroupMode | undefined;

  constructor(options: RuntimeOptions) {
    this.cgroupMode = options.cgroupMode;
    this.root = resolve(options.root);
    this.logger = options.logger ?? nullLogger;
    this.shimPath = options.shimPath ?? binPath('berth-shim');
    this.store = new StateStore(this.root);
    this.store.sweep();
  }

  private boundingSet: bigint | undefined;
  /**
   * The cgroup manager of each container until its delete (making one reads the host's cgroup
   * mounts; a container's cgroups do not move while it exists).
   */
  private readonly cgroups = new Map<string, ContainerCgroupManager>();
  /** The hooks of each container created here until its delete (start and delete need no read of config.json). */
  private readonly hooks = new Map<string, Hooks | undefined>();

  /** The host's cgroup mode and v1 hierarchies, read once: mounts do not move under a runtime. */
  private hostCgroups: { mode: CgroupMode; hierarchies?: Record<string, string> } | undefined;

  private cgroupOf(cgroupsPath: string, mode?: CgroupMode): ContainerCgroupManager {
    const key = `${mode ?? ''}:${cgroupsPath}`;
    let cgroup = this.cgroups.get(key);
    if (!cgroup) {
      if (!this.hostCgroups) {
        const host = detectCgroupMode();
        this.hostCgroups = { mode: host, ...(host === 'v1' ? { hierarchies: v1Hierarchies() } : {}) };
      }
      const m = mode ?? this.hostCgroups.mode;
      const hierarchies = m === 'v1' ? this.hostCgroups.hierarchies : undefined;
      cgroup = createCgroupManager(cgroupsPath, { mode: m, ...(hierarchies ? { hierarchies } : {}) });
      this.cgroups.set(key, cgroup);
    }
    return cgroup;
  }

  private forgetCgroup(cgroupsPath: string, mode?: CgroupMode): void {
    this.cgroups.delete(`${mode ?? ''}:${cgroupsPath}`);
  }

  /** This process's capability bounding set, read once. */
  private bounding(): bigint {
    this.boundingSet ??= readCapabilitySet('CapBnd');
    return this.boundingSet;
  }

  /** Paths of a container's (or exec's) monitor files, for attach/log consumers. */
  paths(id: string, execId?: string): { dir: string; control: string; attach: string; exitFile: string } {
    const dir = execId ? this.store.execDir(id, execId) : this.store.dir(id);
    return { dir, control: join(dir, 'ctl.sock'), attach: join(dir, 'attach.sock'), exitFile: join(dir, 'exit') };
  }

  // ---- create / start / run ----------------------------------------------------------------

  async create(id: string, options: CreateOptions): Promise<ContainerState> {
    return this.createContainer('create', id, options, false);
  }

  private loadBundle(verb: string, id: string, bundle: string, given: Spec | undefined): Spec {
    const configPath = join(bundle, 'config.json');
    let json: unknown = given;
    if (json === undefined) {
      let text: string;
      try {
        text = readFileSync(configPath, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : messageOf(err);
        throw berthError(errorCode(err), `${verb} ${JSON.stringify(id)}: read ${JSON.stringify(configPath)}: ${why}`);
      }
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw invalidArgument(`${verb} ${JSON.stringify(id)}: parse ${JSON.stringify(configPath)}: ${(err as Error).message}`);
      }
    }
    let spec: Spec;
    try {
      spec = validateSpec(json, { source: configPath });
    } catch (err) {
      throw wrap(err, `${verb} ${JSON.stringify(id)}`);
    }
    const rootPath = spec.root?.path;
    if (!rootPath) throw invalidArgument(`${verb} ${JSON.stringify(id)}: root.path: missing`);
    const rootfs = isAbsolute(rootPath) ? rootPath : join(bundle, rootPath);
    let isDir = false;
    try {
      isDir = statSync(rootfs).isDirectory();
    } catch {
      throw notFound(`${verb} ${JSON.stringify(id)}: rootfs ${JSON.stringify(rootfs)}: no such directory`);
    }
    if (!isDir) throw invalidArgument(`${verb} ${JSON.stringify(id)}: rootfs ${JSON.stringify(rootfs)}: not a directory`);
    return spec;
  }

  private async createContainer(verb: string, id: string, options: CreateOptions, autostart: boolean): Promise<ContainerState> {
    checkId(verb, id);
    const bundle = resolve(options.bundle);
    const spec = this.loadBundle(verb, id, bundle, options.spec);
    if (this.store.exists(id) || existsSync(this.store.dir(id))) throw alreadyExists(`${verb} ${JSON.stringify(id)}: container already exists`);
    let dir: string;
    try {
      dir = this.store.reserve(id);
    } catch (err) {
      if (errorCode(err) === 'already-exists') throw alreadyExists(`${verb} ${JSON.stringify(id)}: container already exists`);
      throw wrap(err, `${verb} ${JSON.stringify(id)}: create state directory`);
    }
    const files = this.paths(id);
    if (files.control.length > SUN_PATH_MAX) {
      this.store.remove(id);
      throw invalidArgument(`${verb} ${JSON.stringify(id)}: state path ${JSON.stringify(files.control)} is too long for a unix socket`);
    }
    const cgroupsPath = spec.linux?.cgroupsPath ?? `/berth/${id}`;
    const cgroup = this.cgroupOf(cgroupsPath, this.cgroupMode);
    let pid = 0;
    let channel: ShimChannel | undefined;
    const log = this.logger.with({ id });
    try {
      this.store.writeSpec(id, spec);
      const stdio = planStdio(options.stdio);
      const extraFds = checkExtraFds(options.extraFds);
      if (spec.process?.terminal && !options.consoleSocket && stdio.plan.mode !== 'pipe') {
        throw invalidArgument('process.terminal needs a console socket (--console-socket) or log stdio');
      }
      const inContainerHooks = (spec.hooks?.createContainer?.length ?? 0) + (spec.hooks?.startContainer?.length ?? 0) > 0;
      // Without hooks to run between "pid" and "go", the monitor joins the process to its cgroups
      // and "go" is sent as soon as they exist: no round trip while the process waits.
      const hostHooks = (spec.hooks?.prestart?.length ?? 0) + (spec.hooks?.createRuntime?.length ?? 0) > 0;
      const ctx: PlanContext = {
        bundle,
        files: { control: files.control, exitFile: files.exitFile },
        stdio: stdio.plan,
        autostart,
        cgroupDirs: cgroup.dirs(),
        warn: (msg) => log.warn(msg),
        bounding: this.bounding(),
        preserveFds: extraFds.length,
      };
      if (inContainerHooks) ctx.files.hookState = join(dir, 'hook-state.json');
      if (stdio.plan.mode === 'pipe' && !options.consoleSocket) ctx.files.attach = files.attach;
      if (options.pidFile) ctx.files.pidFile = resolve(options.pidFile);
      if (options.consoleSocket) ctx.consoleSocket = resolve(options.consoleSocket);
      if (!hostHooks) ctx.cgroupJoin = cgroup.procsFiles();
      const planPath = join(dir, 'plan');
      writeFileSync(planPath, encodePlan(compilePlan(spec, ctx)));

      channel = await spawnShim(this.shimPath, planPath, stdio.fds, extraFds);
      // while the shim starts: the cgroups are made and limited before any process is in them
      cgroup.create();
      if (spec.linux?.resources) await cgroup.set(withDefaultDevices(spec.linux.resources));
      const first = await channel.next();
      if (!first?.startsWith('pid ')) throw this.shimError(first);
      pid = Number(first.slice(4));
      if (hostHooks) cgroup.apply(pid);
      const created = new Date().toISOString();
      const stored: StoredState = {
        ociVersion: spec.ociVersion ?? OCI_VERSION,
        id,
        pid,
        pidStartTime: processStartTime(pid) ?? 0,
        bundle,
        annotations: spec.annotations ?? {},
        created,
        started: false,
        cgroupsPath,
        ...(this.cgroupMode ? { cgroupMode: this.cgroupMode } : {}),
      };
      const hookState = JSON.stringify(this.ociState(stored, 'creating'));
      if (ctx.files.hookState) writeFileSync(ctx.files.hookState, hookState);
      await runHooks('prestart', spec.hooks?.prestart, hookState);
      await runHooks('createRuntime', spec.hooks?.createRuntime, hookState);
      // "go" only once the shim has spoken: a shim that fails before reading it has its error line
      // read, not lost to a write on a closed socket
      channel.send('go');
      // written while the process sets up (a failure below removes it with the rest)
      stored.started = autostart;
      this.store.write(stored);
      for (;;) {
        const line = await channel.next();
        if (line?.startsWith('warn ')) {
          log.warn(line.slice(5));
          continue;
        }
        if (line?.startsWith('ok ')) break;
        throw this.shimError(line);
      }
      channel.close();
      this.hooks.set(id, spec.hooks);
      if (autostart) await this.postStart(stored, spec.hooks);
      return this.ociState(stored, autostart ? 'running' : 'created');
    } catch (err) {
      channel?.close();
      await this.destroy(id, pid, cgroup);
      this.forgetCgroup(cgroupsPath, this.cgroupMode);
      throw wrap(err, `${verb} ${JSON.stringify(id)}`);
    }
  }

  private shimError(line: string | undefined): Error {
    if (line === undefined) return unavailable('berth-shim exited without a reply');
    if (line.startsWith('error ')) return this.coded(line.slice(6));
    return unavailable(`berth-shim: unexpected reply ${JSON.stringify(line)}`);
  }

  /** An error from the shim's message, its code taken from the errno text at its end. */
  private coded(msg: string): Error {
    const code: ErrorCode = /: (permission denied|operation not permitted)$/.test(msg)
      ? 'permission-denied'
      : /: no such file or directory$/.test(msg)
        ? 'not-found'
        : /: invalid argument$/.test(msg)
          ? 'invalid-argument'
          : 'internal';
    return berthError(code, msg);
  }

  /** Kills what is left of a failed create and removes every trace of it. */
  private async destroy(id: string, pid: number, cgroup: ContainerCgroupManager): Promise<void> {
    try {
      for (const p of await cgroup.pids()) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await this.waitGone(id, pid, 5000);
      await cgroup.remove();
    } catch (err) {
      this.logger.warn('clean up failed create', { id, error: err });
    }
    this.store.remove(id);
  }

  async start(id: string): Promise<void> {
    const stored = this.store.read('start', id);
    assertCan('start', id, this.statusOf(stored));
    const reply = await controlRequest(this.paths(id).control, 'start').catch((err: unknown) => {
      throw wrap(err, `start ${JSON.stringify(id)}: contact monitor`);
    });
    if (reply !== 'ok') {
      const spec = this.safeSpec(id);
      if (spec) await this.killAll(id, stored).catch(() => {});
      throw wrap(this.coded(reply.replace(/^error /, '')), `start ${JSON.stringify(id)}`);
    }
    stored.started = true;
    this.store.write(stored);
    await this.postStart(stored, this.hooksOf(id));
  }

  private async postStart(stored: StoredState, hooks: Hooks | undefined): Promise<void> {
    if (!hooks?.poststart?.length) return;
    try {
      await runHooks('poststart', hooks.poststart, JSON.stringify(this.ociState(stored, 'running')));
    } catch (err) {
      this.logger.warn('poststart hook failed', { id: stored.id, error: err });
    }
  }

  /** create + start; unless detached, waits for the exit. */
  async run(id: string, options: RunOptions): Promise<RunResult> {
    // create and start in one round trip: the shim execs right after setup
    const state = await this.createContainer('run', id, options, true);
    if (options.detach) return { state };
    const exit = await this.wait(id);
    return { state: await this.state(id), exit };
  }

  // ---- state ---------------------------------------------------------------------------------

  /** The container's hooks: remembered from its create, else read from its config.json. */
  private hooksOf(id: string): Hooks | undefined {
    return this.hooks.has(id) ? this.hooks.get(id) : this.safeSpec(id)?.hooks;
  }

  private safeSpec(id: string): Spec | undefined {
    try {
      return this.store.readSpec(id);
    } catch {
      return undefined;
    }
  }

  private readExit(id: string, execId?: string): MonitorExit | undefined {
    try {
      return JSON.parse(readFileSync(this.paths(id, execId).exitFile, 'utf8')) as MonitorExit;
    } catch {
      return undefined;
    }
  }

  private statusOf(stored: StoredState): ContainerStatus {
    if (this.readExit(stored.id)) return 'stopped';
    if (!isProcessAlive(stored.pid, stored.pidStartTime)) return 'stopped';
    if (this.cgroupOf(stored.cgroupsPath, stored.cgroupMode).isFrozen()) return 'paused';
    return stored.started ? 'running' : 'created';
  }

  private ociState(stored: StoredState, status: ContainerStatus): ContainerState {
    return {
      ociVersion: stored.ociVersion,
      id: stored.id,
      status,
      pid: status === 'stopped' ? 0 : stored.pid,
      bundle: stored.bundle,
      annotations: stored.annotations,
      created: stored.created,
    };
  }

  async state(id: string): Promise<ContainerState> {
    const stored = this.store.read('state', id);
    return this.ociState(stored, this.statusOf(stored));
  }

  async list(): Promise<ContainerState[]> {
    const out: ContainerState[] = [];
    for (const id of this.store.ids()) {
      try {
        out.push(await this.state(id));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }

  // ---- wait / kill / delete --------------------------------------------------------------------

  /** Resolves with the exit status of the container (or of one exec) once it exits. */
  async wait(id: string, options: { execId?: string; signal?: AbortSignal } = {}): Promise<ExitStatus> {
    const stored = this.store.read('wait', id);
    const cgroup = this.cgroupOf(stored.cgroupsPath, stored.cgroupMode);
    for (;;) {
      const done = this.readExit(id, options.execId);
      if (done) return { exitCode: done.exitCode, signal: done.signal, exitedAt: done.time, oomKilled: !options.execId && (await cgroup.oomKilled()) };
      try {
        const reply = await controlRequest(this.paths(id, options.execId).control, 'wait', options.signal ? { signal: options.signal } : {});
        if (reply.startsWith('exit ')) {
          const e = JSON.parse(reply.slice(5)) as MonitorExit;
          return { exitCode: e.exitCode, signal: e.signal, exitedAt: e.time, oomKilled: !options.execId && (await cgroup.oomKilled()) };
        }
      } catch (err) {
        if (errorCode(err) === 'canceled') throw err;
        // the monitor is gone or going: the exit file is written before its sockets disappear
        const late = this.readExit(id, options.execId);
        if (late) continue;
        if (!options.execId && !isProcessAlive(stored.pid, stored.pidStartTime)) {
          return { exitCode: 255, signal: 0, exitedAt: new Date().toISOString(), oomKilled: false };
        }
        await sleep(20);
      }
    }
  }

  async kill(id: string, signal: string | number = 'SIGTERM', options: KillOptions = {}): Promise<void> {
    const stored = this.store.read('kill', id);
    const status = this.statusOf(stored);
    assertCan('kill', id, status);
    let signo: number;
    try {
      signo = parseSignal(signal);
    } catch (err) {
      throw wrap(err, `kill ${JSON.stringify(id)}`);
    }
    const cgroup = this.cgroupOf(stored.cgroupsPath, stored.cgroupMode);
    if (options.all) {
      for (const p of await cgroup.pids()) {
        try {
          process.kill(p, signo);
        } catch {
          // exited meanwhile
        }
      }
    } else {
      const reply = await controlRequest(this.paths(id).control, `kill ${signo}`).catch(() => undefined);
      if (reply !== 'ok') {
        try {
          process.kill(stored.pid, signo);
        } catch (err) {
          throw wrap(err, `kill ${JSON.stringify(id)}`);
        }
      }
    }
    if (status === 'paused' && signo === 9) await cgroup.freeze(false);
  }

  private async killAll(id: string, stored: StoredState): Promise<void> {
    const cgroup = this.cgroupOf(stored.cgroupsPath, stored.cgroupMode);
    for (const p of await cgroup.pids()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    try {
      process.kill(stored.pid, 'SIGKILL');
    } catch {
      // gone
    }
    if (cgroup.isFrozen()) await cgroup.freeze(false);
    await this.waitGone(id, stored.pid, 10000);
  }

  /** Waits until the container process is gone and its monitor has written the exit file. */
  private async waitGone(id: string, pid: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const alive = pid > 0 && isProcessAlive(pid);
      const monitorUp = existsSync(this.paths(id).control);
      if (!alive && !monitorUp) return;
      await sleep(5);
    }
  }

  async delete(id: string, options: DeleteOptions = {}): Promise<void> {
    checkId('delete', id);
    if (options.force && !this.store.exists(id) && existsSync(this.store.dir(id))) {
      // the remains of a create that never finished (the runtime itself died mid-way)
      this.store.remove(id);
      return;
    }
    const stored = this.store.read('delete', id);
    const status = this.statusOf(stored);
    if (!options.force) assertCan('delete', id, status);
    if (status !== 'stopped') await this.killAll(id, stored);
    else await this.waitGone(id, 0, 2000);
    const cgroup = this.cgroupOf(stored.cgroupsPath, stored.cgroupMode);
    try {
      await cgroup.remove();
    } catch (err) {
      throw wrap(err, `delete ${JSON.stringify(id)}`);
    }
    this.forgetCgroup(stored.cgroupsPath, stored.cgroupMode);
    const poststop = this.hooksOf(id)?.poststop;
    this.hooks.delete(id);
    if (poststop?.length) {
      try {
        await runHooks('poststop', poststop, JSON.stringify(this.ociState(stored, 'stopped')));
      } catch (err) {
        this.logger.warn('poststop hook failed', { id, error: err });
      }
    }
    this.store.remove(id);
  }

  // ---- pause / resume / ps / update ------------------------------------------------------------

  async pause(id: string): Promise<void> {
    const stored = this.store.read('pause', id);
    assertCan('pause', id, this.statusOf(stored));
    await this.cgroupOf(stored.cgroupsPath, stored.cgroupMode).freeze(true);
  }

  async resume(id: string): Promise<void> {
    const stored = this.store.read('resume', id);
    assertCan('resume', id, this.statusOf(stored));
    await this.cgroupOf(stored.cgroupsPath, stored.cgroupMode).freeze(false);
  }

  /** Host pids of every process in the container's cgroup. */
  async ps(id: string): Promise<number[]> {
    const stored = this.store.read('ps', id);
    assertCan('ps', id, this.statusOf(stored));
    return [...(await this.cgroupOf(stored.cgroupsPath, stored.cgroupMode).pids())].sort((a, b) => a - b);
  }

  async update(id: string, resources: LinuxResources): Promise<void> {
    const stored = this.store.read('update', id);
    try {
      await this.cgroupOf(stored.cgroupsPath, stored.cgroupMode).set(withDefaultDevices(resources));
    } catch (err) {
      throw wrap(err, `update ${JSON.stringify(id)}`);
    }
  }

  /**
   * Connects to the attach socket of a container (or exec) created with log stdio: docker
   * stdcopy frames come out, bytes written go to its stdin (or pty).
   */
  async attach(id: string, options: { execId?: string } = {}): Promise<Socket> {
    this.store.read('attach', id);
    try {
      return await connectAttach(this.paths(id, options.execId).attach);
    } catch (err) {
      throw wrap(err, `attach ${JSON.stringify(id)}`);
    }
  }

  /** Resource usage of the container's cgroup. */
  async stats(id: string): Promise<CgroupStats> {
    const stored = this.store.read('stats', id);
    try {
      return this.cgroupOf(stored.cgroupsPath, stored.cgroupMode).stats();
    } catch (err) {
      throw wrap(err, `stats ${JSON.stringify(id)}`);
    }
  }

  /** Sets the terminal size of the container's (or an exec's) pty held by the monitor. */
  async resize(id: string, rows: number, cols: number, options: { execId?: string } = {}): Promise<void> {
    this.store.read('resize', id);
    const reply = await controlRequest(this.paths(id, options.execId).control, `resize ${rows} ${cols}`);
    if (reply !== 'ok') throw invalidArgument(`resize ${JSON.stringify(id)}: ${reply.replace(/^error /, '')}`);
  }

  /** Removes an exec's files once it has exited (a running exec is refused). */
  async deleteExec(id: string, execId: string): Promise<void> {
    this.store.read('delete exec', id);
    checkId('delete exec', execId);
    const files = this.paths(id, execId);
    if (!existsSync(files.exitFile) && existsSync(files.control)) {
      throw failedPrecondition(`delete exec ${JSON.stringify(execId)} of ${JSON.stringify(id)}: exec is running`);
    }
    rmSync(files.dir, { recursive: true, force: true });
  }

  /** Starts an exec created with waitForStart. */
  async startExec(id: string, execId: string): Promise<void> {
    this.store.read('start exec', id);
    const reply = await controlRequest(this.paths(id, execId).control, 'start').catch((err: unknown) => {
      throw wrap(err, `start exec ${JSON.stringify(execId)} of ${JSON.stringify(id)}`);
    });
    if (reply !== 'ok') throw wrap(this.coded(reply.replace(/^error /, '')), `start exec ${JSON.stringify(execId)} of ${JSON.stringify(id)}`);
  }

  // ---- exec -------------------------------------------------------------------------------------

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    const stored = this.store.read('exec', id);
    assertCan('exec', id, this.statusOf(stored));
    const execId = options.execId ?? randomHex(8);
    checkId('exec', execId);
    const files = this.paths(id, execId);
    const spec = this.store.readSpec(id);
    const cgroup = this.cgroupOf(stored.cgroupsPath, stored.cgroupMode);
    let channel: ShimChannel | undefined;
    let pid = 0;
    try {
      this.store.reserve(join(id, 'exec'));
    } catch {
      // exists
    }
    try {
      this.store.reserve(join(id, 'exec', execId));
    } catch (err) {
      throw wrap(err, `exec ${JSON.stringify(id)}: exec id ${JSON.stringify(execId)}`);
    }
    try {
      if (options.process.terminal && !options.consoleSocket && options.stdio?.mode !== 'log') {
        throw invalidArgument('a terminal needs a console socket (--console-socket) or log stdio');
      }
      const stdio = planStdio(options.stdio);
      const extraFds = checkExtraFds(options.extraFds);
      const ctx: PlanContext = {
        bundle: stored.bundle,
        files: { control: files.control, exitFile: files.exitFile },
        stdio: stdio.plan,
        warn: (msg) => this.logger.warn(msg, { id, execId }),
        bounding: this.bounding(),
        autostart: options.waitForStart !== true,
        preserveFds: extraFds.length,
        cgroupJoin: cgroup.procsFiles(),
      };
      if (stdio.plan.mode === 'pipe' && !options.consoleSocket) ctx.files.attach = files.attach;
      if (options.pidFile) ctx.files.pidFile = resolve(options.pidFile);
      if (options.consoleSocket) ctx.consoleSocket = resolve(options.consoleSocket);
      const execSpec: Spec = { ...spec, process: options.process };
      const planPath = join(files.dir, 'plan');
      writeFileSync(planPath, encodePlan(compileExecPlan(execSpec, options.process, stored.pid, ctx)));
      channel = await spawnShim(this.shimPath, planPath, stdio.fds, extraFds);
      const first = await channel.next();
      if (!first?.startsWith('pid ')) throw this.shimError(first);
      pid = Number(first.slice(4));
      channel.send('go'); // the monitor joins the process to the container's cgroups
      for (;;) {
        const line = await channel.next();
        if (line?.startsWith('warn ')) {
          this.logger.warn(line.slice(5), { id, execId });
          continue;
        }
        if (line?.startsWith('ok ')) break;
        throw this.shimError(line);
      }
      channel.close();
    } catch (err) {
      channel?.close();
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(files.dir, { recursive: true, force: true });
      throw wrap(err, `exec ${JSON.stringify(id)}`);
    }
    const exit = this.wait(id, { execId });
    exit.catch(() => {});
    return { execId, pid, exit };
  }
}
