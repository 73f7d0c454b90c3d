import { existsSync, mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  conflict,
  errorCode,
  invalidArgument,
  isNotFound,
  messageOf,
  notFound,
  nullLogger,
  replaceFileSync,
  wrap,
  writeFileAtomic,
  randomHex,
  type Logger,
} from '../lib/index.ts';
import type { MetadataDb } from '../metadata/index.ts';
import { parseSignal } from '../runtime/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import { discardDir, mountAll, mountOne, sweepDiscarded, unmount, unmountAllAsync } from '../sys/index.ts';
import { writeContainerFiles } from './container-files.ts';
import { defaultHostConfig } from './defaults.ts';
import { HealthMonitor } from './health.ts';
import { commandOf, mergeImageConfig } from './merge-config.ts';
import { resolveMountPoints } from './mounts.ts';
import { generateName, normalizeName } from './names.ts';
import { containerOfMode, isShareableIpc, validateNamespaceModes, type SharedNamespaces } from './namespace-modes.ts';
import { buildSpec, discardUnsupportedBlkio, hostnameOf, resourcesOf, type BlkioSupport, type BuildSpecOptions } from './oci-spec.ts';
import type { EventSink, ImageProvider, NetworkAttacher, TaskExit, Tasks, VolumeProvider } from './ports.ts';
import { RestartManager, parseRestartPolicy } from './restart-policy.ts';
import {
  checkCanKill,
  checkCanPause,
  checkCanRemove,
  checkCanStart,
  checkCanStop,
  checkCanUnpause,
  initialState,
  isRunning,
  zeroTime,
} from './state.ts';
import { ContainerStore } from './store.ts';
import type { Container, ContainerConfig, HostConfig, MountPoint, Resources } from './types.ts';
import { resolveUser } from './user.ts';
import { Waiters } from './waiters.ts';

export interface ContainerServiceOptions {
  db: MetadataDb;
  /** `<data-root>`: records' files go to `<data-root>/containers/<id>/`. */
  dataRoot: string;
  /** `<exec-root>`: bundles go to `<exec-root>/containers/<id>/` (rootfs/; the runtime keeps the config). */
  execRoot: string;
  snapshotter: Snapshotter;
  images: ImageProvider;
  volumes?: VolumeProvider;
  /** Bridge networking (else a new namespace with loopback only). */
  network?: NetworkAttacher;
  tasks: Tasks;
  events?: EventSink;
  log?: Logger;
  /** The host's capability bounding set. */
  hostCapabilities: readonly string[];
  /** Host path of berth-init (for `--init`). */
  initBinary?: string;
  seccomp?: BuildSpecOptions['seccomp'];
  /** cgroup parent of containers (default "/berth"). */
  cgroupParent?: string;
  /** json-file rotation when the container's LogConfig says nothing (default 10 MiB × 5). */
  logMaxSize?: number;
  logMaxFiles?: number;
  /** The blkio controls the kernel offers; the others are dropped with docker's warnings (default: all). */
  blkio?: BlkioSupport;
}

export interface CreateOptions {
  name?: string;
  config: ContainerConfig;
  hostConfig?: HostConfig;
}

export interface WaitResult {
  exitCode: number;
  error?: string;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

const dockerStopTimeout = 10;
const execFileP = promisify(execFile);

/**
 * Containers (containerd's role in the engine): records and their files, the state machine,
 * rootfs mounting, the task through the runtime, exits and restart policies, wait and removal.
 */
export class ContainerService {
  readonly store: ContainerStore;
  readonly #o: ContainerServiceOptions;
  readonly #log: Logger;
  readonly #exits = new Waiters<WaitResult>();
  readonly #removals = new Waiters<WaitResult>();
  readonly #restarts = new Map<string, RestartManager>();
  readonly #pendingRestart = new Map<string, AbortController>();
  readonly #health = new Map<string, HealthMonitor>();
  /** Serializes lifecycle operations per container. */
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Task exits already being handled (a watcher per running task). */
  readonly #watching = new Set<string>();
  /** Names of containers being created (their records do not exist yet). */
  readonly #namesInCreation = new Set<string>();
  /** Releases of exited tasks in flight, per container. */
  readonly #releases = new Map<string, Promise<void>>();
  /** Rootfs unmounts in flight, per container. */
  readonly #unmounts = new Map<string, Promise<void>>();
  /** Containers whose rootfs this daemon mounted and has not unmounted yet (or failed to). */
  readonly #mounted = new Set<string>();
  /** Run between task create and start: attach clients that were waiting for the container. */
  readonly #preStart = new Map<string, Set<() => Promise<void>>>();
  #closed = false;

  constructor(options: ContainerServiceOptions) {
    this.#o = options;
    this.#log = options.log ?? nullLogger;
    this.store = new ContainerStore(options.db);
  }

  get tasks(): Tasks {
    return this.#o.tasks;
  }

  containerDir(id: string): string {
    return join(this.#o.dataRoot, 'containers', id);
  }

  bundleDir(id: string): string {
    return join(this.#o.execRoot, 'containers', id);
  }

  rootfsDir(id: string): string {
    return join(this.bundleDir(id), 'rootfs');
  }

  get(ref: string): Container {
    return this.store.find(ref);
  }

  list(): Container[] {
    return this.store.list();
  }

  /** Ids of the containers whose mounts use the named volume (the volume service asks). */
  volumeUsers(name: string): string[] {
    return this.store
      .list()
      .filter((c) => c.mountPoints.some((m) => m.type === 'volume' && m.name === name))
      .map((c) => c.id);
  }

  /** Publishes a container event (attach, detach, export ... from the I/O operations). */
  emit(c: Container, action: string, extra: Record<string, string> = {}): void {
    this.#event(c, action, extra);
  }

  #event(c: Container, action: string, extra: Record<string, string> = {}): void {
    this.#o.events?.publish({
      action,
      id: c.id,
      attributes: { ...c.config.labels, image: c.imageRef, name: c.name, ...extra },
    });
  }

  /** Runs fn with the container's lifecycle lock held (start/stop/remove do not interleave). */
  async #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    }
  }

  #save(c: Container): void {
    if (this.store.get(c.id)) this.store.save(c);
  }

  // ---------------------------------------------------------------- create

  async create(options: CreateOptions): Promise<{ id: string; warnings: string[] }> {
    let name: string;
    if (options.name) {
      name = normalizeName(options.name);
      const holder = this.store.nameInUse(name);
      if (holder || this.#namesInCreation.has(name)) {
        throw conflict(
          `Conflict. The container name "/${name}" is already in use by container "${holder?.id ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    } else {
      // a name another create in flight drew is taken too: the record is added only at the end
      const taken = (n: string) => this.store.nameInUse(n) !== undefined || this.#namesInCreation.has(n);
      name = generateName();
      for (let i = 1; taken(name); i++) name = generateName(i);
    }
    this.#namesInCreation.add(name);
    try {
      return await this.#createNamed(options, name);
    } finally {
      this.#namesInCreation.delete(name);
    }
  }

  async #createNamed(options: CreateOptions, name: string): Promise<{ id: string; warnings: string[] }> {
    const warnings: string[] = [];
    const hostConfig = options.hostConfig ?? defaultHostConfig();
    validateHostConfig(hostConfig);
    validateNamespaceModes(hostConfig, options.config.hostname);
    warnings.push(...discardUnsupportedBlkio(hostConfig, this.#o.blkio));
    if (!options.config.image) throw invalidArgument('config cannot be empty in order to create a container');
    const image = await this.#o.images.resolve(options.config.image);
    const config = mergeImageConfig(options.config, image.config);
    const { path, args } = commandOf(config);
    if (hostConfig.memory > 0 && hostConfig.memory < 6 * 1024 * 1024) {
      throw invalidArgument('Minimum memory limit allowed is 6MB');
    }
    if (hostConfig.memorySwap > 0 && hostConfig.memory > 0 && hostConfig.memorySwap < hostConfig.memory) {
      throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
    }

    const id = randomHex(32);
    const dir = this.containerDir(id);
    const c: Container = {
      id,
      name,
      created: new Date().toISOString(),
      imageRef: options.config.image,
      imageId: image.id,
      config,
      hostConfig,
      state: initialState(),
      path,
      args,
      restartCount: 0,
      mountPoints: [],
      snapshotKey: `container-${id}`,
      logPath: join(dir, `${id}-json.log`),
      hostnamePath: join(dir, 'hostname'),
      hostsPath: join(dir, 'hosts'),
      resolvConfPath: join(dir, 'resolv.conf'),
      execIds: [],
    };
    let prepared = false;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o710 });
      await this.#o.snapshotter.prepare(c.snapshotKey, image.snapshotParent, { labels: { 'berth.container': id } });
      prepared = true;
      c.mountPoints = await resolveMountPoints(hostConfig, config.volumes, this.#o.volumes);
      await writeContainerFiles(
        { hostname: c.hostnamePath, hosts: c.hostsPath, resolvConf: c.resolvConfPath },
        {
          hostname: hostnameOf(c, osHostname()),
          domainname: config.domainname,
          hostNetwork: hostConfig.networkMode === 'host',
          extraHosts: hostConfig.extraHosts,
          dns: hostConfig.dns,
          dnsSearch: hostConfig.dnsSearch,
          dnsOptions: hostConfig.dnsOptions,
        },
      );
      await this.#writeConfigFile(c);
      this.store.add(c);
    } catch (err) {
      if (prepared) await this.#o.snapshotter.remove(c.snapshotKey).catch(() => undefined);
      for (const m of c.mountPoints) if (m.anonymous) await this.#o.volumes?.remove(m.name).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    if (!this.#o.network && hostConfig.networkMode !== 'host' && hostConfig.networkMode !== 'none' && hostConfig.networkMode !== 'default' && hostConfig.networkMode !== 'bridge') {
      warnings.push(`network mode "${hostConfig.networkMode}" is not supported yet: the container gets its own network namespace with loopback only`);
    }
    this.#event(c, 'create');
    return { id, warnings };
  }

  /** A readable copy of the record beside the container's files; the metadata db is what counts. */
  async #writeConfigFile(c: Container): Promise<void> {
    replaceFileSync(join(this.containerDir(c.id), 'config.v2.json'), JSON.stringify(c));
  }

  // ---------------------------------------------------------------- start

  async start(ref: string): Promise<void> {
    const c = this.get(ref);
    let started = false;
    try {
      await this.#locked(c.id, async () => {
        checkCanStart(c.id, c.state);
        started = true;
        this.#cancelPendingRestart(c.id);
        c.state.stoppedByUser = false;
        this.#restartManager(c).reset();
        this.#namespaceTargets(c);
        await this.#startTask(c);
      });
    } catch (err) {
      // A shareable /dev/shm mounted for a task that never started goes away with it.
      if (started && !isRunning(c.state)) this.#unmountShm(c);
      // A container that was to be removed on exit is removed when it cannot start (as docker does).
      if (started && c.hostConfig.autoRemove) await this.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
      throw err;
    }
  }

  #restartManager(c: Container): RestartManager {
    let m = this.#restarts.get(c.id);
    if (!m) this.#restarts.set(c.id, (m = new RestartManager(c.hostConfig.restartPolicy)));
    return m;
  }

  /** Mounts the rootfs, writes the bundle, creates and starts the task; on failure records the error. */
  async #startTask(c: Container): Promise<void> {
    const bundle = this.bundleDir(c.id);
    const rootfs = this.rootfsDir(c.id);
    let mounted = false;
    try {
      await this.#taskReleased(c.id);
      await this.#o.tasks.delete(c.id).catch(() => undefined);
      mkdirSync(rootfs, { recursive: true });
      await this.#rootfsUnmounted(c.id);
      const mounts = await this.#o.snapshotter.mounts(c.snapshotKey);
      this.#mounted.add(c.id);
      mountAll(mounts, rootfs);
      mounted = true;
      const user = await resolveUser(rootfs, c.config.user, c.hostConfig.groupAdd);
      for (const m of c.mountPoints) if (m.type !== 'tmpfs') await mkdir(m.source, { recursive: true }).catch(() => undefined);
      await copyImageContentIntoVolumes(rootfs, c.mountPoints, this.#log);
      const net = this.#o.network ? await this.#o.network.attach(c) : {};
      const spec = buildSpec(c, {
        ...(net.netnsPath ? { netnsPath: net.netnsPath } : {}),
        ...(net.env ? { networkEnv: net.env } : {}),
        rootfs,
        user,
        hostCapabilities: this.#o.hostCapabilities,
        cgroupsPath: `${this.#o.cgroupParent ?? '/berth'}/${c.id}`,
        ...(this.#o.initBinary ? { initBinary: this.#o.initBinary } : {}),
        ...(this.#o.seccomp ? { seccomp: this.#o.seccomp } : {}),
        hostHostname: osHostname(),
        shared: await this.#sharedNamespaces(c),
      });
      const lc = c.hostConfig.logConfig.config;
      // nothing to do between create and start (no attach waiting for the first output): one step
      const autostart = (this.#preStart.get(c.id)?.size ?? 0) === 0;
      const { pid } = await this.#o.tasks.create(c.id, bundle, spec, {
        autostart,
        terminal: c.config.tty,
        openStdin: c.config.openStdin,
        stdinOnce: c.config.openStdin && c.config.stdinOnce,
        logPath: c.logPath,
        logMaxSize: lc['max-size'] ? parseSize(lc['max-size']) : (this.#o.logMaxSize ?? 10 * 1024 * 1024),
        logMaxFiles: lc['max-file'] ? Number(lc['max-file']) : (this.#o.logMaxFiles ?? 5),
      });
      const hooks = [...(this.#preStart.get(c.id) ?? [])];
      this.#preStart.delete(c.id);
      await Promise.all(hooks.map((h) => h().catch((err: unknown) => this.#log.warn('pre-start hook', { id: c.id, error: messageOf(err) }))));
      if (!autostart) await this.#o.tasks.start(c.id);
      c.state = {
        ...c.state,
        status: 'running',
        pid,
        exitCode: 0,
        error: '',
        oomKilled: false,
        startedAt: new Date().toISOString(),
        finishedAt: zeroTime,
      };
      delete c.state.health;
      this.#save(c);
      this.#event(c, 'start');
      this.#watch(c);
      this.#startHealth(c);
    } catch (err) {
      const message = messageOf(err);
      await this.#o.tasks.delete(c.id).catch(() => undefined);
      await this.#o.network?.detach(c).catch((e: unknown) => this.#log.warn('release network', { id: c.id, error: messageOf(e) }));
      if (mounted) await this.#unmountRootfs(c.id);
      c.state = {
        ...c.state,
        status: c.state.status === 'created' ? 'created' : 'exited',
        pid: 0,
        exitCode: exitCodeForStartError(message),
        error: message,
      };
      this.#save(c);
      this.#exits.notify(c.id, { exitCode: c.state.exitCode, error: message });
      throw wrap(err, `failed to create task for container`);
    }
  }

  /**
   * The running containers whose namespaces `c` joins (PidMode/IpcMode `container:x`), checked
   * with docker's messages: the target must exist, run, and share its IPC.
   */
  #namespaceTargets(c: Container): { pid?: Container; ipc?: Container } {
    const out: { pid?: Container; ipc?: Container } = {};
    const pidRef = containerOfMode(c.hostConfig.pidMode);
    if (pidRef !== undefined) {
      const t = this.#target(pidRef, `cannot join PID of a non running container: ${pidRef}`);
      if (!isRunning(t.state) || !t.state.pid) throw conflict(`container ${t.id} is not running`);
      out.pid = t;
    }
    const ipcRef = containerOfMode(c.hostConfig.ipcMode);
    if (ipcRef !== undefined) {
      const what = `can't join IPC of container ${ipcRef}`;
      const t = this.#target(ipcRef, what);
      if (!isRunning(t.state) || !t.state.pid) throw conflict(`${what}: container ${t.id} is not running`);
      if (!isShareableIpc(t.hostConfig.ipcMode)) throw invalidArgument(`${what}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
      out.ipc = t;
    }
    return out;
  }

  #target(ref: string, what: string): Container {
    try {
      return this.get(ref);
    } catch (err) {
      throw wrap(err, what);
    }
  }

  /** Host directory of a shareable container's /dev/shm (a tmpfs docker calls ShmPath). */
  shmPath(c: Container): string | undefined {
    if (c.hostConfig.ipcMode === 'host') return '/dev/shm';
    if (c.hostConfig.ipcMode === 'shareable') return join(this.containerDir(c.id), 'mounts', 'shm');
    return undefined;
  }

  /** Resolves what the starting container joins; mounts its own shareable /dev/shm tmpfs. */
  async #sharedNamespaces(c: Container): Promise<SharedNamespaces> {
    const targets = this.#namespaceTargets(c);
    const out: SharedNamespaces = {};
    if (targets.pid) out.pidFrom = targets.pid.state.pid;
    if (targets.ipc) {
      out.ipcFrom = targets.ipc.state.pid;
      const shm = this.shmPath(targets.ipc);
      if (shm) out.shmSource = shm;
    }
    const own = this.shmPath(c);
    if (c.hostConfig.ipcMode === 'shareable' && own) {
      this.#unmountShm(c);
      await mkdir(own, { recursive: true, mode: 0o700 });
      const size = `size=${Math.floor(c.hostConfig.shmSize / 1024) || 65536}k`;
      mountOne({ type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', size] }, own);
      out.shmSource = own;
    } else if (own) out.shmSource = own;
    return out;
  }

  #unmountShm(c: Container): void {
    if (c.hostConfig.ipcMode !== 'shareable') return;
    const dir = join(this.containerDir(c.id), 'mounts', 'shm');
    for (let i = 0; i < 8; i++) {
      try {
        unmount(dir, { lazy: true });
      } catch {
        return;
      }
    }
  }

  /**
   * Calls `hook` once the container's next task exists and before it starts (so an attach sees
   * all output); returns a function that cancels the registration.
   */
  beforeNextStart(id: string, hook: () => Promise<void>): () => void {
    let set = this.#preStart.get(id);
    if (!set) this.#preStart.set(id, (set = new Set()));
    set.add(hook);
    return () => set.delete(hook);
  }

  /** Mounts the container's rootfs (when it is not running) for fn, then unmounts it. */
  async withRootfs<T>(c: Container, fn: (rootfs: string) => Promise<T>): Promise<T> {
    if (isRunning(c.state)) return fn(this.rootfsDir(c.id));
    return this.#locked(c.id, async () => {
      if (isRunning(c.state)) return fn(this.rootfsDir(c.id));
      const dir = join(this.#o.execRoot, 'containers', c.id, 'rootfs');
      await mkdir(dir, { recursive: true });
      await this.#rootfsUnmounted(c.id); // one left from the last exit may still be in flight
      const mounts = await this.#o.snapshotter.mounts(c.snapshotKey);
      this.#mounted.add(c.id);
      mountAll(mounts, dir);
      try {
        return await fn(dir);
      } finally {
        await this.#unmountRootfs(c.id);
      }
    });
  }

  /** The snapshotter, for changes and export. */
  get snapshotter(): Snapshotter {
    return this.#o.snapshotter;
  }

  /**
   * Unmounts the container's rootfs (every stacked mount) on a worker thread. Calls for the same
   * container chain, so a start that mounts again waits for the unmount before it.
   */
  #unmountRootfs(id: string): Promise<void> {
    const rootfs = this.rootfsDir(id);
    const prev = this.#unmounts.get(id) ?? Promise.resolve();
    const next = prev
      .then(() => unmountAllAsync(rootfs, { lazy: true }))
      .then(
        () => void this.#mounted.delete(id),
        (err: unknown) => this.#log.warn('unmount rootfs', { id, error: messageOf(err) }),
      );
    this.#unmounts.set(id, next);
    void next.then(() => {
      if (this.#unmounts.get(id) === next) this.#unmounts.delete(id);
    });
    return next;
  }

  /**
   * Resolves once the rootfs is unmounted: at once when this daemon has nothing mounted there,
   * with the unmount in flight when there is one (another only if that one failed).
   */
  #rootfsUnmounted(id: string): Promise<void> {
    const inflight = this.#unmounts.get(id);
    if (inflight) return inflight.then(() => (this.#mounted.has(id) ? this.#unmountRootfs(id) : undefined));
    return this.#mounted.has(id) ? this.#unmountRootfs(id) : Promise.resolve();
  }

  /**
   * Deletes an exited task and releases its network and /dev/shm, errors logged. Calls for the
   * same container chain; #taskReleased(id) waits for the last one.
   */
  #releaseTask(c: Container): Promise<void> {
    const id = c.id;
    const prev = this.#releases.get(id) ?? Promise.resolve();
    // after a turn of the event loop: the exit's waiters are answered first
    const next = prev.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(async () => {
      await this.#o.tasks.delete(id).catch((err: unknown) => this.#log.warn('delete task', { id, error: messageOf(err) }));
      await this.#o.network?.detach(c).catch((err: unknown) => this.#log.warn('release network', { id, error: messageOf(err) }));
      this.#unmountShm(c);
    });
    this.#releases.set(id, next);
    void next.then(() => {
      if (this.#releases.get(id) === next) this.#releases.delete(id);
    });
    return next;
  }

  /** Resolves once no release of the container's last task is in flight. */
  #taskReleased(id: string): Promise<void> {
    return this.#releases.get(id) ?? Promise.resolve();
  }

  /**
   * Waits for the task's exit in the background and handles it once. The wait is asked for after
   * a turn of the event loop: the start is answered first (an exit meanwhile is in the exit file).
   */
  #watch(c: Container): void {
    if (this.#watching.has(c.id)) return;
    this.#watching.add(c.id);
    const waited = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#o.tasks.wait(c.id));
    waited.then(
      (exit) => {
        this.#watching.delete(c.id);
        this.#handleExit(c.id, exit);
      },
      (err: unknown) => {
        this.#watching.delete(c.id);
        if (this.#closed) return;
        this.#log.warn('wait for task failed', { id: c.id, error: messageOf(err) });
        this.#handleExit(c.id, { exitCode: 255, exitedAt: new Date().toISOString(), oomKilled: false });
      },
    );
  }

  /** Runs the exit handling in the background; a failure is logged, never left unhandled. */
  #handleExit(id: string, exit: TaskExit): void {
    this.#onExit(id, exit).catch((err: unknown) => this.#log.error('handle task exit', { id, error: messageOf(err) }));
  }

  async #onExit(id: string, exit: TaskExit): Promise<void> {
    if (this.#closed) return;
    const c = this.store.get(id);
    if (!c) return;
    this.#stopHealth(id);
    const ranFor = Date.parse(exit.exitedAt) - Date.parse(c.state.startedAt);
    // The task's remains (cgroups, state, network, mounts) are released in the background: the
    // exit is recorded and waiters answered at once; a later start or removal waits for them.
    void this.#unmountRootfs(id);
    void this.#releaseTask(c);
    const removing = c.state.status === 'removing';
    c.state = {
      ...c.state,
      status: removing ? 'removing' : 'exited',
      pid: 0,
      exitCode: exit.exitCode,
      oomKilled: exit.oomKilled,
      finishedAt: exit.exitedAt,
    };
    if (c.state.health) c.state.health = { ...c.state.health, status: 'unhealthy' };
    if (exit.oomKilled) this.#event(c, 'oom');
    this.#event(c, 'die', { exitCode: String(exit.exitCode) });
    if (removing) {
      this.#exits.notify(id, { exitCode: exit.exitCode });
      return;
    }
    if (c.hostConfig.autoRemove) {
      this.#save(c);
      this.#exits.notify(id, { exitCode: exit.exitCode });
      await this.remove(id, { force: true, volumes: true }).catch((err: unknown) => {
        if (!isNotFound(err) && errorCode(err) !== 'conflict') this.#log.warn('auto-remove failed', { id, error: messageOf(err) });
      });
      return;
    }
    const decision = this.#restartManager(c).decide(exit.exitCode, c.restartCount, c.state.stoppedByUser, Number.isFinite(ranFor) ? ranFor : 0);
    if (decision.restart) {
      c.state.status = 'restarting';
      this.#save(c);
      this.#exits.notify(id, { exitCode: exit.exitCode });
      this.#scheduleRestart(c, decision.delay);
      return;
    }
    this.#save(c);
    this.#exits.notify(id, { exitCode: exit.exitCode });
  }

  #scheduleRestart(c: Container, delay: number): void {
    const ac = new AbortController();
    this.#pendingRestart.set(c.id, ac);
    sleep(delay, undefined, { signal: ac.signal }).then(
      () =>
        this.#locked(c.id, async () => {
          if (this.#pendingRestart.get(c.id) !== ac) return;
          this.#pendingRestart.delete(c.id);
          if (!this.store.get(c.id) || c.state.status !== 'restarting') return;
          c.restartCount++;
          try {
            await this.#startTask(c);
          } catch (err) {
            this.#log.warn('restart failed', { id: c.id, error: messageOf(err) });
            this.#unmountShm(c);
            c.state.status = 'exited';
            this.#save(c);
          }
        }).catch((err: unknown) => this.#log.error('scheduled restart', { id: c.id, error: messageOf(err) })),
      () => undefined,
    );
  }

  #cancelPendingRestart(id: string): boolean {
    const ac = this.#pendingRestart.get(id);
    if (!ac) return false;
    this.#pendingRestart.delete(id);
    ac.abort();
    return true;
  }

  // ---------------------------------------------------------------- stop, kill, restart

  async stop(ref: string, options: { signal?: string; timeout?: number } = {}): Promise<void> {
    const c = this.get(ref);
    await this.#locked(c.id, async () => {
      if (c.state.status === 'restarting' && this.#cancelPendingRestart(c.id)) {
        c.state.status = 'exited';
        c.state.stoppedByUser = true;
        this.#save(c);
        this.#event(c, 'stop');
        return;
      }
      checkCanStop(c.id, c.state);
      c.state.stoppedByUser = true;
      this.#restartManager(c).cancel();
      this.#save(c);
      await this.#stopTask(c, options);
      this.#event(c, 'stop');
    });
  }

  async #stopTask(c: Container, options: { signal?: string; timeout?: number }): Promise<void> {
    const signal = parseSignal(options.signal || c.config.stopSignal || 'SIGTERM');
    const timeout = options.timeout ?? c.config.stopTimeout ?? dockerStopTimeout;
    const exited = this.#exits.next(c.id);
    if (!isRunning(c.state)) return;
    try {
      await this.#o.tasks.kill(c.id, signal);
      this.#event(c, 'kill', { signal: String(signal) });
      if (c.state.status === 'paused') await this.#resumeQuietly(c);
    } catch (err) {
      this.#log.debug('stop signal not delivered', { id: c.id, error: messageOf(err) });
    }
    if (timeout >= 0) {
      if ((await orTimeout(exited, timeout * 1000)) !== 'timeout') return;
    } else {
      await exited;
      return;
    }
    await this.#o.tasks.kill(c.id, 9, { all: true }).catch(() => undefined);
    this.#event(c, 'kill', { signal: '9' });
    if (c.state.status === 'paused') await this.#resumeQuietly(c);
    await exited;
  }

  async #resumeQuietly(c: Container): Promise<void> {
    await this.#o.tasks.resume(c.id).catch(() => undefined);
    if (c.state.status === 'paused') {
      c.state.status = 'running';
      this.#save(c);
    }
  }

  async kill(ref: string, signalName?: string): Promise<void> {
    const c = this.get(ref);
    const signal = parseSignal(signalName || 'SIGKILL');
    await this.#locked(c.id, async () => {
      if (c.state.status === 'restarting' && signal === 9 && this.#cancelPendingRestart(c.id)) {
        c.state.status = 'exited';
        this.#save(c);
        return;
      }
      checkCanKill(c.id, c.state);
      const stopSignal = parseSignal(c.config.stopSignal || 'SIGTERM');
      if (signal === stopSignal) {
        c.state.stoppedByUser = true;
        this.#save(c);
      }
      const exited = signal === 9 ? this.#exits.next(c.id) : undefined;
      try {
        await this.#o.tasks.kill(c.id, signal, { all: signal === 9 });
      } catch (err) {
        throw wrap(err, `Cannot kill container: ${ref}`);
      }
      this.#event(c, 'kill', { signal: String(signal) });
      if (c.state.status === 'paused' && signal === 9) await this.#resumeQuietly(c);
      if (exited) await orTimeout(exited, 10_000);
    });
  }

  async restart(ref: string, options: { signal?: string; timeout?: number } = {}): Promise<void> {
    const c = this.get(ref);
    await this.#locked(c.id, async () => {
      this.#cancelPendingRestart(c.id);
      if (isRunning(c.state)) {
        c.state.stoppedByUser = true;
        this.#restartManager(c).cancel();
        await this.#stopTask(c, options);
      }
      if (c.state.status === 'restarting') c.state.status = 'exited';
      c.state.stoppedByUser = false;
      this.#restartManager(c).reset();
      await this.#startTask(c);
      this.#event(c, 'restart');
    });
  }

  async pause(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.#locked(c.id, async () => {
      checkCanPause(c.id, c.state);
      await this.#o.tasks.pause(c.id);
      c.state.status = 'paused';
      this.#save(c);
      this.#event(c, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.#locked(c.id, async () => {
      checkCanUnpause(c.id, c.state);
      await this.#o.tasks.resume(c.id);
      c.state.status = 'running';
      this.#save(c);
      this.#event(c, 'unpause');
    });
  }

  // ---------------------------------------------------------------- wait, remove

  /**
   * Registers a waiter now and returns its promise: not-running settles at once for a container
   * that is not running; next-exit at the next exit; removed when the record is gone.
   */
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const c = this.get(ref);
    if (condition === 'removed') return this.#removals.next(c.id, signal);
    if (condition === 'not-running' && !isRunning(c.state) && c.state.status !== 'restarting') {
      return Promise.resolve({ exitCode: c.state.exitCode });
    }
    return this.#exits.next(c.id, signal);
  }

  async remove(ref: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c = this.get(ref);
    checkCanRemove(c.name, c.id, c.state, options.force ?? false);
    await this.#locked(c.id, async () => {
      if (!this.store.get(c.id)) throw notFound(`No such container: ${ref}`);
      checkCanRemove(c.name, c.id, c.state, options.force ?? false);
      this.#cancelPendingRestart(c.id);
      this.#restartManager(c).cancel();
      this.#stopHealth(c.id);
      const wasRunning = isRunning(c.state);
      const exited = this.#exits.next(c.id);
      c.state.status = 'removing';
      this.#save(c);
      if (wasRunning) {
        await this.#o.tasks.kill(c.id, 9, { all: true }).catch(() => undefined);
        await this.#o.tasks.resume(c.id).catch(() => undefined);
        await orTimeout(exited, 15_000);
      }
      await this.#cleanup(c, options.volumes ?? false);
      this.#event(c, 'destroy');
      this.#removals.notify(c.id, { exitCode: c.state.exitCode });
    });
  }

  async #cleanup(c: Container, removeVolumes: boolean): Promise<void> {
    await this.#taskReleased(c.id);
    await this.#o.tasks.delete(c.id).catch(() => undefined);
    await this.#o.network?.remove(c).catch((err: unknown) => this.#log.warn('release network', { id: c.id, error: messageOf(err) }));
    await this.#rootfsUnmounted(c.id);
    this.#unmountShm(c);
    try {
      await this.#o.snapshotter.remove(c.snapshotKey, { background: true });
    } catch (err) {
      if (!isNotFound(err)) {
        c.state.status = 'dead';
        c.state.error = messageOf(err);
        this.#save(c);
        throw wrap(err, `unable to remove filesystem for ${c.id}`);
      }
    }
    this.store.delete(c.id);
    this.#restarts.delete(c.id);
    this.#mounted.delete(c.id);
    // out of sight at once, deleted in the background (restore() sweeps what a crash leaves)
    discardDir(this.bundleDir(c.id));
    discardDir(this.containerDir(c.id));
    if (removeVolumes) {
      for (const m of c.mountPoints) if (m.type === 'volume' && m.anonymous) await this.#o.volumes?.remove(m.name).catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------- rename, update

  async rename(ref: string, newName: string): Promise<void> {
    const c = this.get(ref);
    const name = normalizeName(newName);
    if (name === c.name) throw invalidArgument(`Renaming a container with the same name as its current name`);
    const old = c.name;
    this.store.rename(c, name);
    await this.#writeConfigFile(c).catch(() => undefined);
    this.#event(c, 'rename', { oldName: `/${old}` });
  }

  async update(ref: string, resources: Partial<Resources>, restartPolicy?: { name: string; maximumRetryCount: number }): Promise<string[]> {
    const c = this.get(ref);
    const warnings: string[] = [];
    await this.#locked(c.id, async () => {
      const hc: HostConfig = { ...c.hostConfig, ...definedOnly(resources) };
      validateBlkioWeight(resources.blkioWeight);
      const dropped = discardUnsupportedBlkio(resources, this.#o.blkio);
      warnings.push(...dropped);
      if (dropped.length) Object.assign(hc, definedOnly(resources));
      if (resources.memory && !resources.memorySwap && c.hostConfig.memorySwap > 0 && resources.memory > c.hostConfig.memorySwap) {
        throw invalidArgument('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
      }
      if (restartPolicy) {
        const p = parseRestartPolicy(restartPolicy.name, restartPolicy.maximumRetryCount);
        if (hc.autoRemove && p.name !== 'no' && p.name !== '') {
          throw invalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
        }
        hc.restartPolicy = p;
        this.#restartManager(c).setPolicy(p);
      }
      if (isRunning(c.state)) {
        try {
          await this.#o.tasks.update(c.id, resourcesOf(hc));
        } catch (err) {
          throw wrap(err, `Cannot update container ${c.id}`);
        }
      }
      c.hostConfig = hc;
      this.#save(c);
      await this.#writeConfigFile(c).catch(() => undefined);
      this.#event(c, 'update');
    });
    return warnings;
  }

  // ---------------------------------------------------------------- health

  #startHealth(c: Container): void {
    const hc = c.config.healthcheck;
    if (!hc || hc.test.length === 0 || hc.test[0] === 'NONE') return;
    const monitor = new HealthMonitor(c, hc, {
      run: (args, timeoutMs) => this.#probe(c, args, timeoutMs),
      recorded: () => this.#save(c),
      changed: (status) => this.#event(c, `health_status: ${status}`),
      log: this.#log,
    });
    this.#health.set(c.id, monitor);
    monitor.start();
  }

  #stopHealth(id: string): void {
    this.#health.get(id)?.stop();
    this.#health.delete(id);
  }

  /** Runs one health probe as an exec in the container; output is capped as docker does. */
  async #probe(c: Container, args: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const execId = randomHex(32);
    const user = await resolveUser(this.rootfsDir(c.id), c.config.user, c.hostConfig.groupAdd).catch(() => ({ uid: 0, gid: 0, additionalGids: [] }));
    const { streams, exit } = await this.#o.tasks.exec(c.id, execId, this.execProcess(c, { args, env: [], user, workingDir: '', tty: false, privileged: false }), {
      stdin: false,
      attach: true,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (b: Buffer) => {
      if (size < 4096) chunks.push(b);
      size += b.length;
    };
    streams?.stdout.on('data', collect);
    streams?.stderr?.on('data', collect);
    const r = await orTimeout(exit, timeoutMs);
    streams?.close();
    if (r === 'timeout') {
      return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
    }
    return { exitCode: r, output: Buffer.concat(chunks).subarray(0, 4096).toString('utf8') };
  }

  /** The OCI process of an exec in `c` (env merged, same capabilities unless privileged). */
  execProcess(
    c: Container,
    e: { args: string[]; env: string[]; user: { uid: number; gid: number; additionalGids: number[] }; workingDir: string; tty: boolean; privileged: boolean },
  ): import('../runtime/index.ts').Process {
    const spec = buildSpec(
      { ...c, hostConfig: { ...c.hostConfig, init: false, privileged: c.hostConfig.privileged || e.privileged } },
      {
        rootfs: this.rootfsDir(c.id),
        user: e.user,
        hostCapabilities: this.#o.hostCapabilities,
        cgroupsPath: `${this.#o.cgroupParent ?? '/berth'}/${c.id}`,
        hostHostname: osHostname(),
      },
    );
    const p = spec.process!;
    let env = p.env ?? [];
    for (const kv of e.env) {
      const k = kv.split('=')[0];
      env = env.filter((x) => x.split('=')[0] !== k);
      env.push(kv);
    }
    if (e.tty && !env.some((x) => x.startsWith('TERM='))) env.push('TERM=xterm');
    return { ...p, args: e.args, env, cwd: e.workingDir || p.cwd, terminal: e.tty };
  }

  // ---------------------------------------------------------------- live restore

  /**
   * Reconciles records with what exists after a daemon (re)start: running tasks stay and are
   * watched again; tasks that exited meanwhile get their exit recorded (then restart policy or
   * auto-remove); half-removed containers are finished; stale mounts are dropped.
   */
  async restore(): Promise<void> {
    for (const dir of [join(this.#o.dataRoot, 'containers'), join(this.#o.execRoot, 'containers')]) sweepDiscarded(dir);
    for (const c of this.store.list()) {
      try {
        await this.#restoreOne(c);
      } catch (err) {
        this.#log.warn('restore container', { id: c.id, error: messageOf(err) });
      }
    }
  }

  async #restoreOne(c: Container): Promise<void> {
    if (c.state.status === 'removing' || c.state.status === 'dead') {
      await this.#o.tasks.kill(c.id, 9, { all: true }).catch(() => undefined);
      await this.#cleanup(c, false);
      return;
    }
    const task = await this.#o.tasks.state(c.id).catch(() => undefined);
    if (task && (task.status === 'running' || task.status === 'paused')) {
      c.state.status = task.status === 'paused' ? 'paused' : 'running';
      c.state.pid = task.pid;
      this.#save(c);
      this.#watch(c);
      this.#startHealth(c);
      return;
    }
    if (c.state.status === 'running' || c.state.status === 'paused') {
      // Exited while the daemon was away: the monitor's exit file has the status.
      const exit = task
        ? await this.#o.tasks.wait(c.id).catch(() => undefined)
        : undefined;
      await this.#onExit(c.id, exit ?? { exitCode: 255, exitedAt: new Date().toISOString(), oomKilled: false });
      return;
    }
    if (task) await this.#o.tasks.delete(c.id).catch(() => undefined);
    if (existsSync(this.rootfsDir(c.id))) await this.#unmountRootfs(c.id);
    const p = c.hostConfig.restartPolicy.name;
    if (c.state.status === 'restarting' || ((p === 'always' || p === 'unless-stopped') && c.state.status === 'exited' && !c.state.stoppedByUser)) {
      c.state.status = 'restarting';
      this.#save(c);
      this.#scheduleRestart(c, 0);
    }
  }

  /** Stops watching (the daemon is shutting down); tasks keep running under their monitors. */
  close(): void {
    this.#closed = true;
    for (const ac of this.#pendingRestart.values()) ac.abort();
    this.#pendingRestart.clear();
    for (const id of [...this.#health.keys()]) this.#stopHealth(id);
  }
}

/**
 * Docker fills an empty volume with what the image has at its mount path, the first time it is
 * mounted (so `VOLUME /data` keeps the image's files). Ownership and modes are kept (cp -a).
 */
async function copyImageContentIntoVolumes(rootfs: string, mounts: readonly MountPoint[], log: Logger): Promise<void> {
  for (const m of mounts) {
    if (m.type !== 'volume') continue;
    const from = join(rootfs, m.destination);
    const st = await lstat(from).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    const [inImage, inVolume] = await Promise.all([readdir(from).catch(() => []), readdir(m.source).catch(() => ['?'])]);
    if (inImage.length === 0 || inVolume.length > 0) continue;
    try {
      await execFileP('cp', ['-a', `${from}/.`, m.source]);
    } catch (err) {
      log.warn('copy image content into volume', { volume: m.name, path: m.destination, error: messageOf(err) });
    }
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateHostConfig(hc: HostConfig): void {
  const p = hc.restartPolicy;
  parseRestartPolicy(p.name, p.maximumRetryCount);
  if (hc.autoRemove && p.name !== '' && p.name !== 'no') {
    throw invalidArgument(`conflicting options: cannot specify both --restart and --rm`);
  }
  if (hc.oomScoreAdj < -1000 || hc.oomScoreAdj > 1000) {
    throw invalidArgument(`Invalid value ${hc.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (hc.shmSize < 0) throw invalidArgument('SHM size can not be less than 0');
  validateBlkioWeight(hc.blkioWeight);
}

function validateBlkioWeight(weight: number | undefined): void {
  if (weight && (weight < 10 || weight > 1000)) throw invalidArgument('Range of blkio weight is from 10 to 1000');
}

/** Docker's exit codes for a failed start: 127 not found, 126 not executable, else 128. */
export function exitCodeForStartError(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 128;
}

/** `10m`, `1g`, `512k`, plain bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw invalidArgument(`invalid size: "${s}"`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

/** `p`, or "timeout" after `ms`; the timer ends with the race, so none is left to hold a stopping daemon. */
async function orTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
