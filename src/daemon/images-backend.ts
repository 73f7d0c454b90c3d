import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IdResponse, ImageDeleteItem, ImageHistoryItem, ImageInspect, ImagePruneResponse, ImageSummary } from '../api/types/index.ts';
import {
  filterBool,
  type CommitOptions,
  type Filters,
  type ImageBackend,
  type ImageImportOptions,
  type ImageListOptions,
  type ImagePullOptions,
  type ProgressSink,
} from '../api/server/index.ts';
import type { ContentStore } from '../content/index.ts';
import type { ContainerService } from '../containers/index.ts';
import {
  commitContainer,
  danglingName,
  familiarString,
  importRootfs,
  loadArchive,
  parseDockerRef,
  saveArchive,
  type ImageConfigConfig,
  type ImageService,
  type ImageStore,
  type ResolvedImage,
} from '../images/index.ts';
import { invalidArgument, notImplemented, wrap, randomHex, type Digest, type Logger } from '../lib/index.ts';
import { unpackImage, type Snapshotter } from '../snapshots/index.ts';
import type { EventPublisher } from './events-service.ts';
import { applyChanges } from './image-changes.ts';

export interface ImagesBackendDeps {
  service: ImageService;
  store: ImageStore;
  content: ContentStore;
  snapshotter: Snapshotter;
  events: EventPublisher;
  log: Logger;
  /** The container service, once built (commit and in-use checks need it). */
  containers?: () => ContainerService | undefined;
  /** Pulls from a registry; absent until a registry client is wired. */
  pull?: (options: ImagePullOptions, progress: ProgressSink) => Promise<void>;
}

function display(name: string): string {
  try {
    return familiarString(parseDockerRef(name));
  } catch {
    return name;
  }
}

function parseUntil(v: string): Date {
  if (/^\d+(\.\d+)?$/.test(v)) return new Date(Number(v) * 1000);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw invalidArgument(`invalid filter 'until=${v}'`);
  return d;
}

/**
 * The image port over the image library: list/inspect/history/tag/remove/prune from the
 * ImageService, and save/load/import/commit over the content store, with layers unpacked into
 * the snapshotter right away so the image can run. Publishes docker's image events.
 */
export class DaemonImageBackend implements ImageBackend {
  constructor(private readonly deps: ImagesBackendDeps) {}

  private publish(action: string, id: string, name?: string): void {
    this.deps.events.publish({ type: 'image', action, id, attributes: name ? { name } : {} });
  }

  /** Makes sure every layer of an image is unpacked (idempotent: present layers are skipped). */
  async ensureUnpacked(img: ResolvedImage, signal?: AbortSignal): Promise<void> {
    await unpackImage(
      this.deps.content,
      { config: img.manifest.config as { digest: Digest; size: number }, layers: img.manifest.layers as { digest: Digest; size: number }[] },
      this.deps.snapshotter,
      { logger: this.deps.log, ...(signal ? { signal } : {}) },
    );
  }

  async list(options: ImageListOptions): Promise<ImageSummary[]> {
    const f = options.filters;
    const dangling = f.get('dangling')?.[0];
    const one = (k: string) => {
      const v = f.get(k);
      if (v && v.length > 1) throw invalidArgument(`invalid filter '${k}': only one value is allowed`);
      return v?.[0];
    };
    const before = one('before');
    const since = one('since');
    const list = (await this.deps.service.list({
      filters: {
        ...(dangling !== undefined ? { dangling: filterBool('dangling', dangling) } : {}),
        ...(f.get('reference') ? { reference: f.get('reference')! } : {}),
        ...(f.get('label') ? { label: f.get('label')! } : {}),
        ...(before ? { before } : {}),
        ...(since ? { since } : {}),
      },
      sharedSize: options.sharedSize,
    }));
    const until = one('until');
    if (until) {
      const limit = parseUntil(until).getTime() / 1000;
      return list.filter((i) => i.Created <= limit);
    }
    return list;
  }

  async inspect(name: string): Promise<ImageInspect> {
    return this.deps.service.inspect(name);
  }

  async history(name: string): Promise<ImageHistoryItem[]> {
    return this.deps.service.history(name);
  }

  async tag(name: string, repo: string, tag: string | undefined): Promise<void> {
    const target = tag ? `${repo}:${tag}` : repo;
    const rec = await this.deps.service.tag(name, target);
    const img = await this.deps.service.getImage(rec.name);
    this.publish('tag', img.id, display(rec.name));
  }

  async remove(name: string, options: { force: boolean; noPrune: boolean }): Promise<ImageDeleteItem[]> {
    const items = (await this.deps.service.remove(name, { force: options.force, noPrune: options.noPrune })) as ImageDeleteItem[];
    for (const it of items) {
      if (it.Untagged) this.publish('untag', it.Untagged, it.Untagged);
      if (it.Deleted) this.publish('delete', it.Deleted);
    }
    return items;
  }

  async prune(filters: Filters): Promise<ImagePruneResponse> {
    const dangling = filters.get('dangling')?.[0];
    const all = dangling !== undefined && !filterBool('dangling', dangling);
    const until = filters.get('until')?.[0];
    const report = await this.deps.service.prune({
      all,
      filters: {
        ...(until ? { until: parseUntil(until) } : {}),
        ...(filters.get('label') ? { label: filters.get('label')! } : {}),
      },
    });
    this.publish('prune', '', undefined);
    return report;
  }

  async save(names: string[], out: Writable, signal: AbortSignal): Promise<void> {
    const byId = new Map<string, { target: ResolvedImage['target']; names: string[] }>();
    for (const n of names) {
      const img = await this.deps.service.resolve(n);
      const entry = byId.get(img.id) ?? { target: img.matched?.target ?? img.target, names: [] };
      // A name (not an id) is saved as a tag; an id saves the image unnamed, as docker does.
      if (!/^(sha256:)?[0-9a-f]{6,64}$/.test(n)) entry.names.push(n.includes(':') || n.includes('@') ? n : `${n}:latest`);
      byId.set(img.id, entry);
      this.publish('save', img.id, n);
    }
    await pipeline(saveArchive(this.deps.content, [...byId.values()], { signal }), out);
  }

  async load(input: Readable, progress: ProgressSink, options: { quiet: boolean; signal: AbortSignal }): Promise<void> {
    const loaded = await loadArchive(this.deps.content, input, { images: this.deps.store, signal: options.signal });
    for (const l of loaded) {
      let img: ResolvedImage | undefined;
      try {
        img = l.name ? await this.deps.service.getImage(l.name) : await this.deps.service.getImage(l.target.digest);
      } catch (err) {
        this.deps.log.debug('loaded image not resolvable yet', { error: err });
      }
      if (img) await this.ensureUnpacked(img, options.signal);
      const line = l.name ? `Loaded image: ${display(l.name)}\n` : `Loaded image ID: ${img?.id ?? l.target.digest}\n`;
      progress.write({ stream: line });
      this.publish('load', img?.id ?? l.target.digest, l.name ? display(l.name) : undefined);
    }
  }

  async importImage(options: ImageImportOptions, progress: ProgressSink, signal: AbortSignal): Promise<string> {
    let source: Readable;
    if (options.source instanceof URL) {
      if (!/^https?:$/.test(options.source.protocol)) throw invalidArgument(`import: unsupported source URL ${JSON.stringify(options.source.href)}`);
      const res = await fetch(options.source, { signal });
      if (!res.ok || !res.body) throw invalidArgument(`import: fetch ${options.source.href}: ${res.status} ${res.statusText}`);
      progress.write({ status: 'Downloading from', progress: options.source.href });
      source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    } else source = options.source;
    const config = applyChanges({}, options.changes) as ImageConfigConfig;
    let name: string | undefined;
    if (options.repo) {
      const ref = parseDockerRef(options.tag ? `${options.repo}:${options.tag}` : options.repo);
      name = `${ref.domain}/${ref.path}:${ref.tag ?? 'latest'}`;
    }
    const platform = options.platform?.split('/');
    const result = await importRootfs(this.deps.content, source, {
      images: this.deps.store,
      config,
      signal,
      ...(name ? { name } : {}),
      ...(options.message ? { message: options.message } : {}),
      ...(platform?.[0] ? { os: platform[0] } : {}),
      ...(platform?.[1] ? { architecture: platform[1] } : {}),
      ...(platform?.[2] ? { variant: platform[2] } : {}),
    });
    if (!name) this.deps.service.createImage(danglingName(result.target.digest), result.target);
    const img = await this.deps.service.getImage(name ?? result.config);
    await this.ensureUnpacked(img, signal);
    this.publish('import', result.config, name ? display(name) : undefined);
    return result.config;
  }

  async pull(options: ImagePullOptions, progress: ProgressSink): Promise<void> {
    if (!this.deps.pull) throw notImplemented(`pull ${JSON.stringify(options.image)}: pulling from a registry is not available yet`);
    await this.deps.pull(options, progress);
  }

  async commit(options: CommitOptions): Promise<IdResponse> {
    const containers = this.deps.containers?.();
    if (!containers) throw notImplemented('commit: the container service is not available');
    const c = containers.get(options.container);
    const what = `commit ${JSON.stringify(options.container)}`;
    const img = await this.deps.service.getImage(c.imageId);
    const running = c.state.status === 'running';
    const pause = options.pause && running;
    if (pause) await containers.pause(c.id);
    const snap = this.deps.snapshotter;
    const viewKey = `commit-view-${randomHex(6)}`;
    let viewed = false;
    try {
      const parent = (await snap.stat(c.snapshotKey)).parent;
      const lower = parent ? await snap.view(viewKey, parent) : [];
      viewed = !!parent;
      const upper = await snap.layerDir(c.snapshotKey);
      const base = { ...(img.config.config ?? {}), ...(options.config ?? {}) } as ImageConfigConfig;
      const config = applyChanges(base, options.changes) as ImageConfigConfig;
      let name: string | undefined;
      if (options.repo) {
        const ref = parseDockerRef(options.tag ? `${options.repo}:${options.tag}` : options.repo);
        name = `${ref.domain}/${ref.path}:${ref.tag ?? 'latest'}`;
      }
      const result = await commitContainer(this.deps.content, {
        parent: img.manifestDescriptor,
        upper,
        lower,
        config,
        createdBy: [c.path, ...c.args].join(' '),
        images: this.deps.store,
        snapshotter: snap,
        ...(name ? { name } : {}),
        ...(options.author ? { author: options.author } : {}),
        ...(options.comment ? { comment: options.comment } : {}),
      });
      if (!name) {
        // Keep the unnamed image alive as a dangling record, as docker keeps an untagged commit.
        this.deps.service.createImage(danglingName(result.target.digest), result.target);
      }
      this.publish('commit', c.id, name ? display(name) : undefined);
      return { Id: result.config };
    } catch (err) {
      throw wrap(err, what);
    } finally {
      if (viewed) await snap.remove(viewKey).catch(() => {});
      if (pause) await containers.unpause(c.id).catch(() => {});
    }
  }
}
