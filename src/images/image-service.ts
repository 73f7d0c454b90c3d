import {
  conflict,
  invalidArgument,
  isNotFound,
  notFound,
  type Digest,
  type Logger,
} from '../lib/index.ts';
import { withTransaction } from '../metadata/index.ts';
import type { Provider } from '../content/index.ts';
import type {
  ImageContainerConfig,
  ImageDeleteItem,
  ImageHistoryItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
} from '../api/types/index.ts';
import type { ImageDiskUsage } from './docker-types.ts';
import { danglingName, isDanglingName, type ImageRecord, type ImageStore } from './image-store.ts';
import { resolveImageTarget, type ImageBlobReader } from './image-target.ts';
import { hostPlatform, type PlatformSpec } from './platforms.ts';
import {
  defaultTag,
  familiarName,
  familiarString,
  formatReference,
  parseNormalizedNamed,
  referenceName,
  type Reference,
} from './reference.ts';
import type { Descriptor, ImageConfig, Manifest } from './types.ts';

/** One image as the engine sees it: identified by its config digest (docker's image ID). */
export interface ResolvedImage {
  /** The config digest, `sha256:…` (docker's image ID). */
  id: Digest;
  /** Every record naming this image (dangling ones included), by name. */
  records: ImageRecord[];
  /** The manifest or index of the first record. */
  target: Descriptor;
  /** The platform manifest chosen from `target`. */
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  /** chainIDs of the layers, bottom first; the last names the image's top snapshot. */
  chainIds: Digest[];
}

/** Who uses an image, as the container side reports it. */
export interface ImageUse {
  containerId: string;
  running: boolean;
}

type MaybePromise<T> = T | Promise<T>;

export interface ImageServiceOptions {
  images: ImageStore;
  content: Pick<Provider, 'readBlob' | 'exists'>;
  /** Platform to pick from indexes; default the host's. */
  platform?: PlatformSpec;
  /** Unpacked size of the layer whose chainID is given (its snapshot's usage); undefined when not unpacked. */
  layerSize?: (chainId: string) => MaybePromise<number | undefined>;
  /** Number of containers created from the image (system df, list). */
  containerCount?: (imageId: string) => MaybePromise<number>;
  /** A container using the image, if any (true/containerId string are accepted too). */
  isImageInUse?: (imageId: string) => MaybePromise<ImageUse | boolean | string | undefined>;
  /** Runs garbage collection after images are deleted; returns the bytes freed. */
  collect?: () => Promise<{ reclaimedBytes: number } | void>;
  logger?: Logger;
}

export interface ListImagesOptions {
  filters?: {
    dangling?: boolean;
    /** Glob patterns on the familiar reference (`busybox`, `busy*:1.*`). */
    reference?: string[];
    /** `key` or `key=value` on the config labels. */
    label?: string[];
    /** Only images created before / after the given image. */
    before?: string;
    since?: string;
  };
  /** Compute SharedSize (otherwise -1). */
  sharedSize?: boolean;
  /** Count containers (otherwise -1). */
  containers?: boolean;
}

export interface RemoveImageOptions {
  force?: boolean;
  /** Accepted for API compatibility; images have no parent chain to prune. */
  noPrune?: boolean;
}

export interface PruneImagesOptions {
  /** Remove every image no container uses, not only dangling ones. */
  all?: boolean;
  filters?: { until?: Date; label?: string[] };
}

const zeroTime = '0001-01-01T00:00:00Z';

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function unixSeconds(s: string | undefined): number {
  if (!s) return 0;
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function parseName(name: string): Reference | undefined {
  if (isDanglingName(name)) return undefined;
  try {
    return parseNormalizedNamed(name);
  } catch {
    return undefined;
  }
}

function labelMatches(labels: Record<string, string> | undefined, filters: string[] | undefined): boolean {
  if (!filters || filters.length === 0) return true;
  return filters.every((f) => {
    const eq = f.indexOf('=');
    if (eq < 0) return labels?.[f] !== undefined;
    return labels?.[f.slice(0, eq)] === f.slice(eq + 1);
  });
}

/**
 * The image operations the daemon exposes (moby's image service over a containerd-style store):
 * list, inspect, history, tag, remove, prune, disk usage, and resolving what a user typed
 * (name, name@digest, full or short ID) to an image.
 */
export class ImageService {
  private readonly opts: ImageServiceOptions;
  private readonly platform: PlatformSpec;
  private readonly blobCache = new Map<string, Promise<Buffer>>();
  /** Record target digest → what it resolved to (manifest, config, chainIDs); bounded. */
  private readonly resolved = new Map<string, Omit<ResolvedImage, 'records' | 'target'>>();

  constructor(options: ImageServiceOptions) {
    this.opts = options;
    this.platform = options.platform ?? hostPlatform();
  }

  get store(): ImageStore {
    return this.opts.images;
  }

  // ---- resolution ----

  /** Blobs are immutable: manifests and configs are read once per service. */
  private readonly reader: ImageBlobReader = {
    readBlob: (desc) => {
      let p = this.blobCache.get(desc.digest) as Promise<Buffer> | undefined;
      if (!p) {
        p = this.opts.content.readBlob(desc);
        p.catch(() => this.blobCache.delete(desc.digest));
        this.blobCache.set(desc.digest, p);
      }
      return p;
    },
    exists: (digest) => this.opts.content.exists(digest),
  };

  private async resolveRecord(rec: ImageRecord): Promise<Omit<ResolvedImage, 'records' | 'target'> | undefined> {
    // content is addressed by digest: what a target resolves to never changes, so it is parsed once
    const cached = this.resolved.get(rec.target.digest);
    if (cached) return structuredClone(cached); // callers may change what they get
    try {
      const r = await resolveImageTarget(this.reader, rec.target, this.platform);
      const out = { ...r, id: r.configDescriptor.digest as Digest };
      if (this.resolved.size >= 1024) this.resolved.delete(this.resolved.keys().next().value as string);
      this.resolved.set(rec.target.digest, structuredClone(out));
      return out;
    } catch (err) {
      if (isNotFound(err)) {
        this.opts.logger?.debug('image content missing', { image: rec.name, err });
        return undefined;
      }
      this.opts.logger?.warn('image unreadable', { image: rec.name, err });
      return undefined;
    }
  }

  /** The image ID a record resolves to (undefined when its content is unreadable), without a copy. */
  private async idOf(rec: ImageRecord): Promise<Digest | undefined> {
    return this.resolved.get(rec.target.digest)?.id ?? (await this.resolveRecord(rec))?.id;
  }

  /**
   * resolve() for the common case, a tagged name (`busybox`, `busybox:1`): its record and the
   * records of the same image, as images() would group them, without copying every image's
   * manifest and config. Undefined when `s` is no such name (resolve() goes on as for any other).
   */
  private async resolveTagged(s: string): Promise<(ResolvedImage & { matched: ImageRecord }) | undefined> {
    if (/^(sha256:)?[a-f0-9]{64}$/.test(s)) return undefined;
    let ref: Reference;
    try {
      ref = parseNormalizedNamed(s);
    } catch {
      return undefined;
    }
    if (ref.digest !== undefined) return undefined;
    const rec = this.opts.images.find(formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag ?? defaultTag }));
    const r = rec && (await this.resolveRecord(rec));
    if (!rec || !r) return undefined;
    const records: ImageRecord[] = [];
    for (const other of this.opts.images.list()) if ((await this.idOf(other)) === r.id) records.push(other);
    // as images() groups them: the manifest is its first record's, the target its first named one's
    const first = records[0] && records[0] !== rec ? await this.resolveRecord(records[0]) : r;
    const target = (records.find((x) => !isDanglingName(x.name)) ?? rec).target;
    return { ...(first ?? r), target, records, matched: rec };
  }

  /** Every image with readable content, keyed by ID, in name order of their first record. */
  async images(): Promise<Map<Digest, ResolvedImage>> {
    const out = new Map<Digest, ResolvedImage>();
    for (const rec of this.opts.images.list()) {
      const r = await this.resolveRecord(rec);
      if (!r) continue;
      const have = out.get(r.id);
      if (have) have.records.push(rec);
      else out.set(r.id, { ...r, target: rec.target, records: [rec] });
    }
    for (const img of out.values()) {
      // Prefer a named record's target over a dangling one's.
      const named = img.records.find((r) => !isDanglingName(r.name));
      if (named) img.target = named.target;
    }
    return out;
  }

  /**
   * Finds the image a user means by `refOrId`, in docker's order: a full ID (`sha256:<64 hex>`
   * or 64 hex), a reference (`busybox`, `busybox:1`, `busybox@sha256:…`), then a unique ID
   * prefix. Throws not-found (`No such image: busybox:latest`) or invalid-argument.
   */
  async resolve(refOrId: string): Promise<ResolvedImage & { matched?: ImageRecord }> {
    const s = refOrId.trim();
    if (s === '') throw invalidArgument('image reference must not be empty');
    const named = await this.resolveTagged(s);
    if (named) return named;
    const all = await this.images();
    const full = /^(sha256:)?([a-f0-9]{64})$/.exec(s);
    if (full) {
      const id = `sha256:${full[2]}` as Digest;
      const img = all.get(id) ?? [...all.values()].find((i) => i.records.some((r) => r.target.digest === id) || i.manifestDescriptor.digest === id);
      if (img) return img;
      throw notFound(`No such image: ${s}`);
    }
    let ref: Reference | undefined;
    let parseError: unknown;
    try {
      ref = parseNormalizedNamed(s);
    } catch (err) {
      parseError = err;
    }
    if (ref) {
      if (ref.digest !== undefined) {
        const name = formatReference({ domain: ref.domain, path: ref.path, digest: ref.digest });
        const repo = referenceName(ref);
        for (const img of all.values()) {
          const rec = img.records.find((r) => r.name === name);
          if (rec) return { ...img, matched: rec };
        }
        for (const img of all.values()) {
          const hit = img.records.some((r) => parseName(r.name) && referenceName(parseName(r.name)!) === repo) &&
            (img.records.some((r) => r.target.digest === ref.digest) || img.manifestDescriptor.digest === ref.digest);
          if (hit) return img;
        }
      } else {
        const name = formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag ?? defaultTag });
        for (const img of all.values()) {
          const rec = img.records.find((r) => r.name === name);
          if (rec) return { ...img, matched: rec };
        }
      }
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{1,64})$/.exec(s);
    if (prefix) {
      const hits = [...all.values()].filter((i) => i.id.slice(7).startsWith(prefix[1]!));
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${s}`);
    }
    if (!ref && parseError) throw parseError;
    throw notFound(`No such image: ${ref ? familiarString(ref.digest || ref.tag ? ref : { ...ref, tag: defaultTag }) : s}`);
  }

  /** Shorthand for the daemon: the image a container is created from. */
  async getImage(refOrId: string): Promise<ResolvedImage> {
    const { matched: _m, ...img } = await this.resolve(refOrId);
    return img;
  }

  // ---- naming ----

  /**
   * Points `name` (normalized; a bare name gets ":latest") at `target`, as a pull, build, load or
   * tag does. The image that `name` pointed at before becomes dangling if nothing else names it;
   * a dangling record of the new target is dropped.
   */
  createImage(name: string, target: Descriptor, options: { labels?: Record<string, string> } = {}): ImageRecord {
    const full = isDanglingName(name) ? name : this.normalizeNewName(name);
    return withTransaction(this.opts.images.db, () => {
      const { record, previous } = this.opts.images.put({ name: full, target, ...(options.labels ? { labels: options.labels } : {}) });
      if (previous && previous.target.digest !== target.digest) this.dangleIfOrphan(previous.target);
      if (!isDanglingName(full)) this.opts.images.find(danglingName(target.digest)) && this.opts.images.delete(danglingName(target.digest));
      return record;
    });
  }

  private normalizeNewName(name: string): string {
    const ref = parseNormalizedNamed(name);
    if (ref.digest !== undefined && ref.tag !== undefined) {
      return formatReference({ domain: ref.domain, path: ref.path, digest: ref.digest });
    }
    return formatReference(ref.digest !== undefined ? ref : { ...ref, tag: ref.tag ?? defaultTag });
  }

  private dangleIfOrphan(target: Descriptor): void {
    if (this.opts.images.list({ targetDigest: target.digest }).length > 0) return;
    this.opts.images.create({ name: danglingName(target.digest), target });
  }

  /** `docker tag source target`: target gets ":latest" if untagged; digests are refused. */
  async tag(source: string, target: string): Promise<ImageRecord> {
    const img = await this.resolve(source);
    const ref = parseNormalizedNamed(target);
    if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
    const desc = img.matched?.target ?? img.target;
    return this.createImage(formatReference({ ...ref, tag: ref.tag ?? defaultTag }), desc);
  }

  // ---- sizes ----

  private async layerSizes(img: ResolvedImage, cache: Map<string, number>): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < img.chainIds.length; i++) {
      const c = img.chainIds[i]!;
      let size = cache.get(c);
      if (size === undefined) {
        size = (await this.opts.layerSize?.(c)) ?? img.manifest.layers[i]?.size ?? 0;
        cache.set(c, size);
      }
      out.push(size);
    }
    return out;
  }

  private repoTags(img: ResolvedImage): string[] {
    const tags: string[] = [];
    for (const r of img.records) {
      const ref = parseName(r.name);
      if (ref && ref.tag !== undefined && ref.digest === undefined) tags.push(familiarString(ref));
    }
    return tags;
  }

  private repoDigests(img: ResolvedImage): string[] {
    const out = new Set<string>();
    for (const r of img.records) {
      const ref = parseName(r.name);
      if (ref) out.add(`${familiarName(ref)}@${ref.digest ?? r.target.digest}`);
    }
    return [...out];
  }

  private async inUse(imageId: string): Promise<ImageUse | undefined> {
    const u = await this.opts.isImageInUse?.(imageId);
    if (u === undefined || u === false) return undefined;
    if (u === true) return { containerId: '', running: false };
    if (typeof u === 'string') return { containerId: u, running: false };
    return u;
  }

  // ---- list / inspect / history ----

  async list(options: ListImagesOptions = {}): Promise<ImageSummary[]> {
    const all = [...(await this.images()).values()];
    const f = options.filters ?? {};
    const created = (i: ResolvedImage) => unixSeconds(i.config.created);
    let before: number | undefined;
    let since: number | undefined;
    if (f.before) before = created(await this.resolve(f.before));
    if (f.since) since = created(await this.resolve(f.since));
    const cache = new Map<string, number>();
    const sizes = new Map<string, number[]>();
    for (const img of all) sizes.set(img.id, await this.layerSizes(img, cache));
    const uses = new Map<string, number>();
    if (options.sharedSize) {
      for (const img of all) for (const c of new Set(img.chainIds)) uses.set(c, (uses.get(c) ?? 0) + 1);
    }
    const out: ImageSummary[] = [];
    for (const img of all) {
      const tags = this.repoTags(img);
      const dangling = tags.length === 0;
      if (f.dangling !== undefined && f.dangling !== dangling) continue;
      if (f.reference && f.reference.length > 0) {
        const refs = img.records.map((r) => parseName(r.name)).filter((r): r is Reference => r !== undefined);
        const ok = f.reference.some((p) => {
          const re = globToRegExp(p);
          return refs.some((r) => re.test(familiarString(r)) || (!p.includes(':') && !p.includes('@') && re.test(familiarName(r))));
        });
        if (!ok) continue;
      }
      if (!labelMatches(img.config.config?.Labels, f.label)) continue;
      if (before !== undefined && created(img) >= before) continue;
      if (since !== undefined && created(img) <= since) continue;
      const ls = sizes.get(img.id)!;
      let shared = -1;
      if (options.sharedSize) {
        shared = 0;
        const seen = new Set<string>();
        img.chainIds.forEach((c, i) => {
          if (!seen.has(c) && (uses.get(c) ?? 0) > 1) shared += ls[i]!;
          seen.add(c);
        });
      }
      out.push({
        Id: img.id,
        ParentId: '',
        RepoTags: tags,
        RepoDigests: this.repoDigests(img),
        Created: created(img),
        Size: ls.reduce((a, b) => a + b, 0),
        SharedSize: shared,
        Labels: img.config.config?.Labels ?? null,
        Containers: options.containers && this.opts.containerCount ? await this.opts.containerCount(img.id) : -1,
      });
    }
    return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
  }

  async inspect(refOrId: string): Promise<ImageInspect> {
    const img = await this.resolve(refOrId);
    const c = img.config;
    const cc = c.config;
    const sizes = await this.layerSizes(img, new Map());
    const config: ImageContainerConfig | null = cc
      ? {
          Hostname: '',
          Domainname: '',
          User: cc.User ?? '',
          AttachStdin: false,
          AttachStdout: false,
          AttachStderr: false,
          ...(cc.ExposedPorts ? { ExposedPorts: cc.ExposedPorts } : {}),
          Tty: false,
          OpenStdin: false,
          StdinOnce: false,
          Env: cc.Env ?? null,
          Cmd: cc.Cmd ?? null,
          ...(cc.Healthcheck ? { Healthcheck: cc.Healthcheck } : {}),
          ...(cc.ArgsEscaped !== undefined ? { ArgsEscaped: cc.ArgsEscaped } : {}),
          Image: '',
          Volumes: cc.Volumes ?? null,
          WorkingDir: cc.WorkingDir ?? '',
          Entrypoint: cc.Entrypoint ?? null,
          OnBuild: cc.OnBuild ?? null,
          Labels: cc.Labels ?? null,
          ...(cc.StopSignal ? { StopSignal: cc.StopSignal } : {}),
          ...(cc.Shell ? { Shell: cc.Shell } : {}),
        }
      : null;
    const lastTag = img.records.filter((r) => !isDanglingName(r.name)).map((r) => r.updatedAt.getTime());
    return {
      Id: img.id,
      RepoTags: this.repoTags(img),
      RepoDigests: this.repoDigests(img),
      Parent: '',
      Comment: c.comment ?? c.history?.at(-1)?.comment ?? '',
      Created: c.created ?? zeroTime,
      DockerVersion: c.docker_version ?? '',
      Author: c.author ?? '',
      Config: config,
      Architecture: c.architecture,
      ...(c.variant ? { Variant: c.variant } : {}),
      Os: c.os,
      ...(c['os.version'] ? { OsVersion: c['os.version'] } : {}),
      Size: sizes.reduce((a, b) => a + b, 0),
      GraphDriver: { Name: 'overlayfs', Data: null },
      RootFS: { Type: 'layers', Layers: [...(c.rootfs.diff_ids ?? [])] },
      Metadata: lastTag.length > 0 ? { LastTagTime: new Date(Math.max(...lastTag)).toISOString() } : {},
      Descriptor: { mediaType: img.target.mediaType, digest: img.target.digest, size: img.target.size },
    };
  }

  /**
   * `docker history`: newest first, one row per config history entry; a row that made a layer
   * shows that layer's size, `empty_layer` rows show 0. The top row carries the image ID and
   * tags, older rows `<missing>` (they are not images of their own), as docker shows pulled images.
   */
  async history(refOrId: string): Promise<ImageHistoryItem[]> {
    const img = await this.resolve(refOrId);
    const sizes = await this.layerSizes(img, new Map());
    let entries = img.config.history ?? [];
    if (entries.length === 0) entries = img.chainIds.map(() => ({}));
    let layer = 0;
    const rows: ImageHistoryItem[] = entries.map((h) => {
      let size = 0;
      if (!h.empty_layer) {
        size = sizes[layer] ?? 0;
        layer++;
      }
      return { Id: '<missing>', Created: unixSeconds(h.created), CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' };
    });
    rows.reverse();
    const top = rows[0];
    if (top) {
      top.Id = img.id;
      const tags = this.repoTags(img);
      top.Tags = tags.length > 0 ? tags : null;
    }
    return rows;
  }

  // ---- remove / prune / df ----

  private isSingleReference(names: Reference[]): boolean {
    const repos = new Set(names.map(referenceName));
    const tags = names.filter((r) => r.tag !== undefined && r.digest === undefined).length;
    return repos.size <= 1 && tags <= 1;
  }

  /**
   * `docker rmi`: by name, untags that name (and the repository's digest names when its last tag
   * goes) and deletes the image when no name is left; by ID, deletes the image and its names.
   * Refuses (conflict) what docker refuses: an image referenced in several repositories without
   * force, an image a stopped container uses without force, one a running container uses always.
   */
  async remove(refOrId: string, options: RemoveImageOptions = {}): Promise<ImageDeleteItem[]> {
    const force = options.force ?? false;
    const img = await this.resolve(refOrId);
    const out: ImageDeleteItem[] = [];
    const store = this.opts.images;
    const names = () =>
      store.list().filter((r) => img.records.some((x) => x.name === r.name) && !isDanglingName(r.name));
    const refsOf = (recs: ImageRecord[]) => recs.map((r) => parseName(r.name)).filter((r): r is Reference => r !== undefined);
    const untag = (rec: ImageRecord) => {
      store.delete(rec.name);
      const ref = parseName(rec.name);
      out.push({ Untagged: ref ? familiarString(ref) : rec.name });
    };
    let removedRepositoryRef = false;
    const short = shortId(img.id);

    if (img.matched && !isDanglingName(img.matched.name)) {
      const matched = img.matched;
      const use = await this.inUse(img.id);
      if (!force && use && this.isSingleReference(refsOf(names()))) {
        throw conflict(
          `conflict: unable to remove repository reference ${JSON.stringify(refOrId)} (must force) - container ${shortId(use.containerId)} is using its referenced image ${short}`,
        );
      }
      untag(matched);
      const mref = parseName(matched.name);
      if (mref && mref.digest === undefined) {
        const repo = referenceName(mref);
        const left = refsOf(names());
        if (!left.some((r) => r.digest === undefined && referenceName(r) === repo)) {
          for (const rec of names()) {
            const r = parseName(rec.name);
            if (r && r.digest !== undefined && referenceName(r) === repo) untag(rec);
          }
        }
      }
      if (names().length > 0) return out;
      removedRepositoryRef = true;
    } else if (this.isSingleReference(refsOf(names()))) {
      const use = await this.inUse(img.id);
      if (use) this.checkUse(img.id, use, force);
      for (const rec of names()) untag(rec);
    }

    const left = names();
    if (left.length > 0 && !force) {
      throw conflict(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    }
    const use = await this.inUse(img.id);
    if (use && (use.running || !force)) {
      if (removedRepositoryRef) {
        // The last name went but a container still uses the image: keep it, dangling.
        const t = img.records[0]!.target;
        if (!store.find(danglingName(t.digest))) store.create({ name: danglingName(t.digest), target: t });
        return out;
      }
      this.checkUse(img.id, use, force);
    }
    for (const rec of left) untag(rec);
    for (const rec of store.list()) {
      if (img.records.some((x) => x.name === rec.name)) store.delete(rec.name);
    }
    out.push({ Deleted: img.id });
    this.opts.logger?.info('image deleted', { image: img.id });
    await this.runCollect();
    return out;
  }

  private checkUse(imageId: string, use: ImageUse, force: boolean): void {
    if (use.running) {
      throw conflict(`conflict: unable to delete ${shortId(imageId)} (cannot be forced) - image is being used by running container ${shortId(use.containerId)}`);
    }
    if (!force) {
      throw conflict(`conflict: unable to delete ${shortId(imageId)} (must be forced) - image is being used by stopped container ${shortId(use.containerId)}`);
    }
  }

  private async runCollect(): Promise<number | undefined> {
    if (!this.opts.collect) return undefined;
    try {
      const r = await this.opts.collect();
      return r ? r.reclaimedBytes : undefined;
    } catch (err) {
      this.opts.logger?.warn('garbage collection after image removal failed', { err });
      return undefined;
    }
  }

  /** `docker image prune [-a]`: deletes dangling (or all unused) images no container uses. */
  async prune(options: PruneImagesOptions = {}): Promise<ImagePruneResponse> {
    const all = [...(await this.images()).values()];
    const deleted: ImageDeleteItem[] = [];
    const cache = new Map<string, number>();
    const remaining = new Map<string, number>();
    for (const img of all) for (const c of img.chainIds) remaining.set(c, (remaining.get(c) ?? 0) + 1);
    let estimate = 0;
    for (const img of all) {
      // Dangling: no name at all (an image pulled by digest only is not dangling), as moby.
      const named = img.records.some((r) => !isDanglingName(r.name));
      if (!options.all && named) continue;
      if (options.filters?.until && unixSeconds(img.config.created) * 1000 >= options.filters.until.getTime()) continue;
      if (!labelMatches(img.config.config?.Labels, options.filters?.label)) continue;
      if (await this.inUse(img.id)) continue;
      const sizes = await this.layerSizes(img, cache);
      for (const rec of img.records) {
        try {
          this.opts.images.delete(rec.name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          continue;
        }
        const ref = parseName(rec.name);
        if (ref) deleted.push({ Untagged: familiarString(ref) });
      }
      deleted.push({ Deleted: img.id });
      img.chainIds.forEach((c, i) => {
        const n = (remaining.get(c) ?? 1) - 1;
        remaining.set(c, n);
        if (n === 0) estimate += sizes[i]!;
      });
    }
    let reclaimed = estimate;
    if (deleted.length > 0) {
      const r = await this.runCollect();
      if (r !== undefined) reclaimed = r;
    }
    return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** The image part of `docker system df`. */
  async diskUsage(): Promise<ImageDiskUsage> {
    const images = await this.list({ sharedSize: true, containers: true });
    const all = [...(await this.images()).values()];
    const cache = new Map<string, number>();
    const layers = new Map<string, number>();
    for (const img of all) {
      const sizes = await this.layerSizes(img, cache);
      img.chainIds.forEach((c, i) => layers.set(c, sizes[i]!));
    }
    let total = 0;
    for (const s of layers.values()) total += s;
    return { LayersSize: total, Images: images };
  }
}
