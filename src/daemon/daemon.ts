import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiServer,
  Router,
  registerEventRoutes,
  registerImageRoutes,
  registerSystemRoutes,
  registerVolumeRoutes,
  requestLogger,
} from '../api/server/index.ts';
import { binPath, invalidArgument, writeFileAtomicSync, wrap, type Logger } from '../lib/index.ts';
import { metadataDbPath, openMetadataDb, type MetadataDb } from '../metadata/index.ts';
import { VolumeService } from '../volumes/index.ts';
import { parseHost, type DaemonConfig } from './config.ts';
import { EventsService } from './events-service.ts';
import { unavailableImageBackend } from './image-backend-unavailable.ts';
import { acquirePidfile } from './pidfile.ts';
import { DaemonSystemBackend } from './system-backend.ts';
import { DaemonVolumeBackend } from './volumes-backend.ts';

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
 * is pidfile → directories → metadata db → services → routes → listeners, so the socket answers
 * as soon as the daemon can really serve. stop() closes the listeners and the database and
 * leaves containers running (live restore).
 */
export class Daemon {
  readonly events = new EventsService();
  readonly volumes: VolumeService;
  readonly system: DaemonSystemBackend;
  readonly router: Router;
  private readonly server: ApiServer;
  private readonly db: MetadataDb;
  private readonly releasePidfile: () => void;
  private readonly log: Logger;
  private stopped = false;

  private constructor(
    readonly config: DaemonConfig,
    options: DaemonOptions,
    db: MetadataDb,
    releasePidfile: () => void,
  ) {
    this.log = options.log;
    this.db = db;
    this.releasePidfile = releasePidfile;
    this.volumes = new VolumeService({
      root: join(config.dataRoot, 'volumes'),
      db,
      log: options.log.with({ component: 'volumes' }),
      onEvent: (e) => this.events.publish({ type: 'volume', action: e.action, id: e.name, attributes: e.attributes }),
    });
    const volumeBackend = new DaemonVolumeBackend(this.volumes);
    this.system = new DaemonSystemBackend(
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
        eventListeners: () => this.events.listeners,
        diskUsage: { volumes: () => volumeBackend.diskUsage() },
      },
    );
    this.router = new Router().use(requestLogger());
    registerSystemRoutes(this.router, this.system);
    registerEventRoutes(this.router, this.events);
    registerVolumeRoutes(this.router, volumeBackend);
    registerImageRoutes(this.router, unavailableImageBackend());
    this.server = new ApiServer(this.router, { log: options.log.with({ component: 'api' }), serverHeader: `Berth/${options.version} (linux)` });
  }

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
    let db: MetadataDb | undefined;
    try {
      db = openMetadataDb(metadataDbPath(config.dataRoot));
      const daemon = new Daemon(config, options, db, releasePidfile);
      await daemon.listen();
      daemon.events.publish({ type: 'daemon', action: 'start', id: daemon.system.version().Version, attributes: { name: 'berthd' } });
      return daemon;
    } catch (err) {
      db?.close();
      releasePidfile();
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

  /** Stops serving and closes the database; containers keep running. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.log.info('shutting down: containers keep running (live restore)');
    await this.server.close();
    this.db.close();
    this.releasePidfile();
  }
}
