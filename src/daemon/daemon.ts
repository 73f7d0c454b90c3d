import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiServer, Router, registerEventRoutes, registerSystemRoutes, requestLogger } from '../api/server/index.ts';
import { binPath, invalidArgument, writeFileAtomicSync, wrap, type Logger } from '../lib/index.ts';
import type { ContainerService } from '../containers/index.ts';
import type { VolumeService } from '../volumes/index.ts';
import { parseHost, type DaemonConfig } from './config.ts';
import type { DaemonImageBackend } from './images-backend.ts';
import { EventsService } from './events-service.ts';
import { acquirePidfile } from './pidfile.ts';
import { DaemonSystemBackend } from './system-backend.ts';

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
 * berthd. Start-up: directories and pidfile, then the socket with only the system routes (so
 * `/_ping` answers within a node start), then the services are loaded and built
 * (compose-services.ts: metadata db, content, snapshots, images, volumes, containers with live
 * restore, builder) while other requests wait for them. stop() closes the listeners and the
 * database and leaves containers running (live restore).
 */
export class Daemon {
  private stopped = false;

  private constructor(
    readonly config: DaemonConfig,
    readonly events: EventsService,
    readonly system: DaemonSystemBackend,
    readonly volumes: VolumeService,
    readonly images: DaemonImageBackend,
    readonly containers: ContainerService,
    readonly router: Router,
    private readonly server: ApiServer,
    private readonly closers: (() => void | Promise<void>)[],
    private readonly log: Logger,
  ) {}

  /** Builds the daemon and starts listening on every configured host; resolves once every service is up. */
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
      for (const c of [...closers].reverse()) {
        try {
          await c();
        } catch (err) {
          log.warn('shutdown step failed', { error: err });
        }
      }
    };
    let closeServer: () => Promise<void> = async () => {};
    let markReady!: () => void;
    let markFailed!: (err: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    try {
      const events = new EventsService({ journal: join(config.dataRoot, 'events.jsonl'), log: log.with({ component: 'events' }) });
      closers.push(() => events.close());
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
        { eventListeners: () => events.listeners },
      );
      const router = new Router().use(requestLogger());
      registerSystemRoutes(router, system);
      registerEventRoutes(router, events);
      const server = new ApiServer(router, { log: log.with({ component: 'api' }), serverHeader: `Berth/${options.version} (linux)` });
      server.holdUntil(ready);
      // Closed first on the way out (before the services it calls), see stop().
      closeServer = () => server.close();
      await listen(server, config);
      log.info('socket ready, starting services', { ms: Math.round(performance.now()) });
      const { composeServices } = await import('./compose-services.ts');
      const services = await composeServices({ config, log, router, events, system, closers });
      const daemon = new Daemon(config, events, system, services.volumes, services.images, services.containers, router, server, closers, log);
      markReady();
      events.publish({ type: 'daemon', action: 'start', id: system.version().Version, attributes: { name: 'berthd' } });
      return daemon;
    } catch (err) {
      markFailed(err);
      await closeServer().catch(() => {});
      await closeAll();
      throw err;
    }
  }

  /** Stops serving and closes the database; containers keep running. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.log.info('shutting down: containers keep running (live restore)');
    await this.server.close().catch((err: unknown) => this.log.warn('closing the api failed', { error: err }));
    for (const c of [...this.closers].reverse()) {
      try {
        await c();
      } catch (err) {
        this.log.warn('shutdown step failed', { error: err });
      }
    }
  }
}

async function listen(server: ApiServer, config: DaemonConfig): Promise<void> {
  const gid = config.group ? resolveGroup(config.group) : 0;
  for (const h of config.hosts) {
    const addr = parseHost(h);
    if (addr.kind === 'unix') {
      mkdirSync(join(addr.path, '..'), { recursive: true });
      await server.listenUnix(addr.path, { mode: 0o660, gid });
    } else {
      await server.listenTcp(addr.host, addr.port, {
        ca: readFileSync(config.tlsCaCert!),
        cert: readFileSync(config.tlsCert!),
        key: readFileSync(config.tlsKey!),
      });
    }
  }
}
