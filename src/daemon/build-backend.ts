import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, wrap, type Digest, type Logger } from '../lib/index.ts';
import type { BuildBackend, BuildRequest, NdjsonWriter } from '../api/server/index.ts';
import { applyLayer } from '../snapshots/index.ts';
import { BuildContext, type BuildCache, type Builder } from '../builder/index.ts';
import type { ContentStore } from '../content/index.ts';
import type { EventsService } from './events-service.ts';

/**
 * `/build` over the builder: the request body (a tar, maybe compressed) is unpacked into a
 * scratch directory with the same safe extraction as layers, then built from there.
 */
export class DaemonBuildBackend implements BuildBackend {
  constructor(
    private readonly o: {
      builder: Builder;
      cache: BuildCache;
      content: ContentStore;
      /** Scratch space for contexts (under the exec-root). */
      workDir: string;
      events: EventsService;
      log: Logger;
    },
  ) {}

  async build(request: BuildRequest, progress: NdjsonWriter): Promise<string> {
    await mkdir(this.o.workDir, { recursive: true });
    const dir = await mkdtemp(join(this.o.workDir, 'context-'));
    try {
      try {
        await applyLayer(request.context, dir, { whiteouts: 'flat', signal: request.signal });
      } catch (err) {
        throw wrap(err, 'build: read the build context');
      }
      const context = await BuildContext.open(dir);
      const quiet = request.quiet;
      const result = await this.o.builder.build(
        context,
        {
          dockerfile: request.dockerfile,
          tags: request.tags,
          buildArgs: request.buildArgs,
          labels: request.labels,
          noCache: request.noCache,
          pull: request.pull,
          cacheFrom: request.cacheFrom,
          signal: request.signal,
          ...(request.target ? { target: request.target } : {}),
          ...(request.networkMode && request.networkMode !== 'default' ? { networkMode: request.networkMode } : {}),
        },
        (e) => {
          if (!quiet || 'aux' in e) progress.write(e);
        },
      );
      if (quiet) progress.write({ stream: `${result.id}\n` });
      for (const tag of request.tags) this.o.events.publish({ type: 'image', action: 'tag', id: result.id, attributes: { name: tag } });
      return result.id;
    } finally {
      await rm(dir, { recursive: true, force: true }).catch((err: unknown) => this.o.log.warn('build: remove context failed', { path: dir, err }));
    }
  }

  async prune(all: boolean): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const before = this.o.cache.layerDigests();
    const exists = new Set<Digest>();
    for (const d of before) if (await this.o.content.exists(d)) exists.add(d);
    const n = this.o.cache.prune((d) => exists.has(d), all);
    if (n < 0) throw invalidArgument('prune failed');
    return { CachesDeleted: before.slice(0, n), SpaceReclaimed: 0 };
  }
}
