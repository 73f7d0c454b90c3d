import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiServer,
  Router,
  registerEventRoutes,
  registerImageRoutes,
  registerBuildRoutes,
  registerSystemRoutes,
  registerVolumeRoutes,
  requestLogger,
} from '../api/server/index.ts';
import { LocalContentStore, SqliteLabelStore, contentRoot } from '../content/index.ts';
import type { ContainerService, ImageProvider, ImageRuntimeConfig } from '../containers/index.ts';
import { GarbageCollector, ImageService, ImageStore, LeaseManager } from '../images/index.ts';
import { binPath, invalidArgument, writeFileAtomicSync, wrap, type Logger } from '../lib/index.ts';
import { metadataDbPath, migrate, openMetadataDb } from '../metadata/index.ts';
import { OverlaySnapshotter } from '../snapshots/index.ts';
import { RegistryClient } from '../registry/client/index.ts';
import { registryPuller } from './registry-pull.ts';
import { VolumeService } from '../volumes/index.ts';
import { parseHost, type DaemonConfig } from './config.ts';
import { wireContainers } from './containers-backend.ts';
import { EventsService } from './events-service.ts';
import { DaemonImageBackend } from './images-backend.ts';
import { acquirePidfile } from './pidfile.ts';
import { DaemonSystemBackend } from './system-backend.ts';
import { DaemonVolumeBackend } from './volumes-backend.ts';
import { DaemonBuildBackend } from './build-backend.ts';
import { BuildCache, Builder } from '../builder/index.ts';
import { Runtime } from '../runtime/index.ts';

export interface DaemonOptions {
  config: DaemonConfig;
  log: Logger;
  version: string;
  gitCommit?: string;
}

/** The engine's persistent id (`ID` in `docker info`), created once per data root. */
function engineId(dataRoot: string): string {
  const path = join(dataRoot, 'engine-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (id) return id;
  } catch {
    // first start
  }
  const id = randomUUID();
  writeFileAtomicSync(path, id + '\n', 0o600);
  return id;
}

/** A group name or numeric gid, resolved through /etc/group. */
export function resolveGroup(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    // no group database
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw invalidArgument(`group "${group}" not found`);
}

/**
 * berthd: composes every service over one data root and serves the Engine API. Start-up order
 * is pidfile → directories → metadata db → content, snapshots, images, volumes, containers (with
 * live-restore reconcile) → routes → listeners, so the socket answers as soon as the daemon can
 * really serve. stop() closes the listeners and the database and leaves containers running.
 */
export class Daemon {
  private constructor(
    readonly config: DaemonConfig,
    readonly events: EventsService,
    readonly volumes: VolumeService,
    readonly system: DaemonSystemBackend,
    readonly images: DaemonImageBackend,
    readonly containers: ContainerService,
    readonly router: Router,
    private readonly server: ApiServer,
    private readonly closers: (() => void | Promise<void>)[],
    private readonly log: Logger,
  ) {}

  /** Builds the daemon and starts listening on every configured host. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config, log } = options;
    try {
      mkdirSync(config.dataRoot, { recursive: true, mode: 0o710 });
      chmodSync(config.dataRoot, 0o710);
      mkdirSync(config.execRoot, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw wrap(err, 'create data root and exec root');
    }
    const releasePidfile = acquirePidfile(config.pidfile);
    const closers: (() => void | Promise<void>)[] = [releasePidfile];
    const closeAll = async () => {
      for (const c of closers.reverse()) {
        try {
          await c();
        } catch (err) {
          log.warn('shutdown step failed', { error: err });
        }
      }
    };
    try {
      const db = openMetadataDb(metadataDbPath(config.dataRoot));
      closers.push(() => {
        db.close();
      });
      const events = new EventsService();
      const content = new LocalContentStore(contentRoot(config.dataRoot), {
        labels: new SqliteLabelStore(db, { migrate }),
        logger: log.with({ component: 'content' }),
      });
      const snapshotter = new OverlaySnapshotter({ root: config.dataRoot, db, migrate });
      closers.push(() => snapshotter.close());
      const imageStore = new ImageStore(db);
      const leases = new LeaseManager(db);
      let containers: ContainerService | undefined;
      const gc = new GarbageCollector({
        db,
        content,
        images: imageStore,
        leases,
        snapshots: { snapshotter, roots: () => ({ snapshots: (containers?.list() ?? []).map((c) => c.snapshotKey) }) },
        logger: log.with({ component: 'gc' }),
      });
      const imageService = new ImageService({
        images: imageStore,
        content,
        layerSize: async (chainId) => {
          try {
            return (await snapshotter.usage(chainId)).size;
          } catch {
            return undefined;
          }
        },
        containerCount: (id) => (containers?.list() ?? []).filter((c) => c.imageId === id).length,
        isImageInUse: (id) => {
          const c = (containers?.list() ?? []).find((x) => x.imageId === id);
          return c ? { containerId: c.id, running: c.state.status === 'running' || c.state.status === 'paused' } : undefined;
        },
        collect: () => gc.collect(),
        logger: log.with({ component: 'images' }),
      });
      const registry = new RegistryClient({ content, logger: log.with({ component: 'registry' }) });
      closers.push(() => registry.close());
      const images: DaemonImageBackend = new DaemonImageBackend({
        service: imageService,
        store: imageStore,
        content,
        snapshotter,
        events,
        log: log.with({ component: 'images' }),
        containers: () => containers,
        pull: registryPuller({
          client: registry,
          content,
          images: imageService,
          unpack: async (name, signal) => images.ensureUnpacked(await imageService.getImage(name), signal),
          onPulled: (id, name) => events.publish({ type: 'image', action: 'pull', id: name, attributes: { name, id } }),
        }),
      });
      const volumes = new VolumeService({
        root: join(config.dataRoot, 'volumes'),
        db,
        log: log.with({ component: 'volumes' }),
        onEvent: (e) => events.publish({ type: 'volume', action: e.action, id: e.name, attributes: e.attributes }),
      });
      const volumeBackend = new DaemonVolumeBackend(volumes);
      const router = new Router().use(requestLogger());
      const wired = await wireContainers({
        db,
        dataRoot: config.dataRoot,
        execRoot: config.execRoot,
        snapshotter,
        images: unpackingImageProvider(imageService, images),
        volumes: { acquire: (name, o) => volumes.acquire(name, o), remove: (name) => volumes.release(name) },
        events,
        log,
        router,
      });
      containers = wired.service;
      closers.push(() => wired.service.close());
      volumes.setUsers((name) => wired.service.volumeUsers(name));
      const system = new DaemonSystemBackend(
        {
          version: options.version,
          gitCommit: options.gitCommit ?? '',
          dataRoot: config.dataRoot,
          engineId: engineId(config.dataRoot),
          labels: config.labels,
          debug: config.logLevel === 'debug',
          runtimePath: binPath('berth-runtime'),
        },
        {
          eventListeners: () => events.listeners,
          containerCounts: async () => {
            const counts = { running: 0, paused: 0, stopped: 0 };
            for (const c of wired.service.list()) {
              if (c.state.status === 'running' || c.state.status === 'restarting') counts.running++;
              else if (c.state.status === 'paused') counts.paused++;
              else counts.stopped++;
            }
            return counts;
          },
          imageCount: async () => (await imageService.list()).length,
          diskUsage: {
            volumes: () => volumeBackend.diskUsage(),
            images: async () => {
              const du = await imageService.diskUsage();
              return { items: du.Images, layersSize: du.LayersSize };
            },
            containers: async () => (await wired.backend.list({ all: true, limit: -1, size: true, filters: new Map() })) as unknown[],
          },
        },
      );
      registerSystemRoutes(router, system);
      registerEventRoutes(router, events);
      registerVolumeRoutes(router, volumeBackend);
      registerImageRoutes(router, images);
      const buildCache = new BuildCache(db);
      const builder = new Builder({
        content,
        snapshotter,
        images: imageService,
        imageStore,
        runtime: new Runtime({ root: join(config.execRoot, 'build-runtime'), logger: log.with({ component: 'build-runtime' }) }),
        cache: buildCache,
        workDir: join(config.dataRoot, 'build'),
        logger: log.with({ component: 'builder' }),
      });
      registerBuildRoutes(
        router,
        new DaemonBuildBackend({ builder, cache: buildCache, content, workDir: join(config.dataRoot, 'build', 'contexts'), events, log: log.with({ component: 'build' }) }),
      );
      const server = new ApiServer(router, { log: log.with({ component: 'api' }), serverHeader: `Berth/${options.version} (linux)` });
      closers.push(() => server.close());
      const daemon = new Daemon(config, events, volumes, system, images, wired.service, router, server, closers, log);
      await daemon.listen();
      events.publish({ type: 'daemon', action: 'start', id: system.version().Version, attributes: { name: 'berthd' } });
      return daemon;
    } catch (err) {
      await closeAll();
      throw err;
    }
  }

  private async listen(): Promise<void> {
    const gid = this.config.group ? resolveGroup(this.config.group) : 0;
    for (const h of this.config.hosts) {
      const addr = parseHost(h);
      if (addr.kind === 'unix') {
        mkdirSync(join(addr.path, '..'), { recursive: true });
        await this.server.listenUnix(addr.path, { mode: 0o660, gid });
      } else {
        const c = this.config;
        await this.server.listenTcp(addr.host, addr.port, {
          ca: readFileSync(c.tlsCaCert!),
          cert: readFileSync(c.tlsCert!),
          key: readFileSync(c.tlsKey!),
        });
      }
    }
  }

  private stopped = false;

  /** Stops serving and closes the database; containers keep running. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.log.info('shutting down: containers keep running (live restore)');
    for (const c of [...this.closers].reverse()) {
      try {
        await c();
      } catch (err) {
        this.log.warn('shutdown step failed', { error: err });
      }
    }
  }
}

/**
 * The container service's image port: the image's config and top snapshot, unpacking any
 * missing layer first (images loaded or imported before a crash, or whose snapshots were
 * collected).
 */
function unpackingImageProvider(service: ImageService, images: DaemonImageBackend): ImageProvider {
  return {
    async resolve(ref) {
      const img = await service.getImage(ref);
      await images.ensureUnpacked(img);
      const top = img.chainIds.at(-1);
      return { id: img.id, config: (img.config.config ?? {}) as ImageRuntimeConfig, ...(top ? { snapshotParent: top } : {}) };
    },
  };
}
