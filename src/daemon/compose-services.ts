import { join } from 'node:path';
import { registerBuildRoutes, registerDistributionRoutes, registerImageRoutes, registerVolumeRoutes, type Router } from '../api/server/index.ts';
import { BuildCache, Builder } from '../builder/index.ts';
import { LocalContentStore, SqliteLabelStore, contentRoot } from '../content/index.ts';
import type { ContainerService, ImageProvider, ImageRuntimeConfig } from '../containers/index.ts';
import { GarbageCollector, ImageService, ImageStore, LeaseManager } from '../images/index.ts';
import type { Logger } from '../lib/index.ts';
import { metadataDbPath, migrate, openMetadataDb } from '../metadata/index.ts';
import { RegistryClient } from '../registry/client/index.ts';
import { Runtime } from '../runtime/index.ts';
import { cleanupUnpacks, OverlaySnapshotter, unpackImage, type Snapshotter } from '../snapshots/index.ts';
import { VolumeService } from '../volumes/index.ts';
import { DaemonBuildBackend } from './build-backend.ts';
import type { DaemonConfig } from './config.ts';
import { wireContainers } from './containers-backend.ts';
import type { EventsService } from './events-service.ts';
import { DaemonImageBackend } from './images-backend.ts';
import { registryPuller } from './registry-pull.ts';
import { DaemonDistributionBackend } from './registry-push.ts';
import type { DaemonSystemBackend } from './system-backend.ts';
import { DaemonVolumeBackend } from './volumes-backend.ts';

export interface ComposeOptions {
  config: DaemonConfig;
  log: Logger;
  router: Router;
  events: EventsService;
  system: DaemonSystemBackend;
  /** Shutdown steps, run in reverse order by the daemon. */
  closers: (() => void | Promise<void>)[];
}

export interface Services {
  volumes: VolumeService;
  images: DaemonImageBackend;
  containers: ContainerService;
}

/**
 * Builds every service over the data root and registers their routes: metadata db, content
 * store, overlay snapshotter, image service (with GC and the registry client), volumes,
 * containers (reconciled with the monitors still running: live restore) and the builder.
 * Loaded lazily by the daemon, after its socket already answers `/_ping`.
 */
export async function composeServices(options: ComposeOptions): Promise<Services> {
  const { config, log, router, events, system, closers } = options;
  const db = openMetadataDb(metadataDbPath(config.dataRoot));
  closers.push(() => {
    db.close();
  });
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
    snapshots: {
      snapshotter,
      roots: () => ({ snapshots: (containers?.list() ?? []).map((c) => c.snapshotKey) }),
      cleanup: () => cleanupUnpacks(snapshotter),
    },
    // Layers the build cache refers to stay until the cache is pruned (`builder prune`).
    roots: () => ({ content: buildCache.layerDigests() }),
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
      leases,
      unpack: async (image, { blobs, signal, onSnapshot }) => {
        await unpackImage(blobs, image, snapshotter, { logger: log.with({ component: 'images' }), signal, onSnapshot });
      },
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
  const wired = await wireContainers({
    db,
    dataRoot: config.dataRoot,
    execRoot: config.execRoot,
    snapshotter,
    images: unpackingImageProvider(imageService, images, snapshotter),
    volumes: { acquire: (name, o) => volumes.acquire(name, o), remove: (name) => volumes.release(name) },
    events,
    log,
    router,
    network: { ...(config.bridge ? { bridge: config.bridge } : {}), ...(config.bip ? { bip: config.bip } : {}) },
  });
  containers = wired.service;
  closers.push(() => wired.service.close());
  volumes.setUsers((name) => wired.service.volumeUsers(name));
  system.setSources(
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
        containers: async () => wired.backend.list({ all: true, limit: -1, size: true, filters: new Map() }),
      },
    },
  );
  registerVolumeRoutes(router, volumeBackend);
  registerImageRoutes(router, images);
  registerDistributionRoutes(
    router,
    new DaemonDistributionBackend({
      client: registry,
      content,
      images: imageStore,
      leases,
      log: log.with({ component: 'push' }),
      onPushed: (name) => events.publish({ type: 'image', action: 'push', id: name, attributes: { name } }),
    }),
  );
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
  return { volumes, images, containers: wired.service };
}

/**
 * The container service's image port: the image's config and top snapshot, unpacking any
 * missing layer first (images loaded or imported before a crash, or whose snapshots were
 * collected). A committed top snapshot has every layer below it (a snapshot keeps its parents).
 */
function unpackingImageProvider(service: ImageService, images: DaemonImageBackend, snapshotter: Snapshotter): ImageProvider {
  const committed = (key: string) => snapshotter.stat(key).then((info) => info.kind === 'committed', () => false);
  return {
    async resolve(ref) {
      const img = await service.getImage(ref);
      const top = img.chainIds.at(-1);
      if (top === undefined || !(await committed(top))) await images.ensureUnpacked(img);
      return { id: img.id, config: (img.config.config ?? {}) as ImageRuntimeConfig, ...(top ? { snapshotParent: top } : {}) };
    },
  };
}
