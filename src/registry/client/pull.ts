import type { ContentStore, ReaderAt, Writer } from '../../content/index.ts';
import { writeBlob } from '../../content/index.ts';
import { invalidArgument, isNotFound, notFound, wrap, type Digest, type Logger } from '../../lib/index.ts';
import { isImageManifestMediaType, isIndexMediaType, mediaTypes } from '../api/index.ts';
import { fetchBlob } from './fetch-blob.ts';
import type { Descriptor, ImageIndex, ImageManifest } from './manifest-types.ts';
import { formatPlatform, hostPlatform, parsePlatform, selectPlatformManifest, type Platform } from './platform.ts';
import { ProgressThrottle, progressBar, shortId, type ProgressCallback } from './progress.ts';
import { familiarName, formatReference, type ImageReference } from './reference.ts';
import type { RemoteRepository } from './remote-repository.ts';

/** What a pull produced: every blob is in the content store when this is returned. */
export interface PulledImage {
  reference: ImageReference;
  /** Normalized full name (docker.io/library/busybox:latest). */
  name: string;
  /** Digest of what the reference resolved to (an index or a manifest): the repo digest. */
  digest: Digest;
  mediaType: string;
  /** The image manifest chosen for the platform. */
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  config: Descriptor;
  layers: Descriptor[];
  platform: Platform;
  /** True when at least one blob was downloaded (docker's "Downloaded newer image"). */
  downloaded: boolean;
}

/**
 * Per-layer unpack, provided by the image/snapshot side. It starts while layers still download,
 * so extraction overlaps the transfer as docker's does: it must read a blob only after
 * `ready(digest)` resolved (it rejects when the pull fails). Layers go in order; it reports
 * `Extracting` progress through `onLayer`.
 */
export type UnpackHook = (
  image: PulledImage,
  onLayer: (layer: Descriptor, event: 'extracting' | 'complete', current?: number, total?: number) => void,
  ready: (digest: string) => Promise<void>,
  downloading: (digest: string) => Promise<DownloadingBlob | undefined>,
) => Promise<void>;

/**
 * A blob of the pull while it downloads, for an unpack that reads it as it arrives (the hook's
 * `downloading(digest)` waits until its download starts; undefined once it is in). Whatever is
 * made from it must wait for `verified`.
 */
export interface DownloadingBlob {
  /** A reader over the ingest file (its own descriptor), readable past its size as it grows. */
  open(): Promise<ReaderAt>;
  /** Bytes on disk so far. */
  available(): number;
  watch(fn: () => void): () => void;
  /** Resolves once the blob's digest is checked; rejects if the pull failed, or if the download
   * restarted from zero (read the committed blob then). */
  readonly verified: Promise<void>;
}

export interface PullOptions {
  /** Platform to select from an index (default: this host), `linux/arm64/v8` or a Platform. */
  platform?: Platform | string;
  onProgress?: ProgressCallback;
  /** Parallel layer downloads (default 3). */
  maxConcurrentDownloads?: number;
  /** Attempts per blob after transient errors, each resuming with Range (default 5). */
  retries?: number;
  unpack?: UnpackHook;
  /**
   * Where the image record (full name → the resolved manifest or index) is written once every
   * blob is in and unpacked; src/images' ImageStore fits.
   */
  imageStore?: { put(record: { name: string; target: { mediaType: string; digest: string; size: number } }): unknown };
  signal?: AbortSignal;
  logger?: Logger;
  /** Emit the closing `Digest:` and `Status:` lines (default true; false when the caller writes its own). */
  summary?: boolean;
}

/** The content label containerd uses to remember where a blob came from (used to mount on push). */
export function distributionSourceLabel(domain: string): string {
  return `containerd.io/distribution.source.${domain}`;
}

/** Adds `repo` to a blob's distribution-source label (comma-separated repositories). */
export async function addSourceLabel(store: ContentStore, digest: Digest, domain: string, repo: string): Promise<void> {
  const key = distributionSourceLabel(domain);
  try {
    const info = await store.info(digest);
    const repos = new Set((info.labels[key] ?? '').split(',').filter(Boolean));
    if (repos.has(repo)) return;
    repos.add(repo);
    await store.update({ digest, labels: { [key]: [...repos].sort().join(',') } }, [`labels.${key}`]);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Pulls an image: manifest (through an index to the platform), config and layers. */
export async function pullImage(store: ContentStore, repo: RemoteRepository, ref: ImageReference, options: PullOptions = {}): Promise<PulledImage> {
  const emit = options.onProgress ?? (() => {});
  const platform = typeof options.platform === 'string' ? parsePlatform(options.platform) : (options.platform ?? hostPlatform());
  const what = `pull ${JSON.stringify(familiarName(ref))}`;
  try {
    const reference = ref.digest ?? ref.tag!;
    emit({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag! });
    const top = await repo.getManifest(reference, options.signal ? { signal: options.signal } : {});
    let downloaded = false;
    const storeManifest = async (d: Digest, body: Buffer) => {
      if (!(await store.exists(d))) {
        await writeBlob(store, body, { expected: { digest: d, size: body.length }, labels: { [distributionSourceLabel(ref.domain)]: ref.path } });
        downloaded = true;
      } else await addSourceLabel(store, d, ref.domain, ref.path);
    };
    await storeManifest(top.digest, top.body);
    let manifestDesc: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.body.length };
    let manifestBody = top.body;
    let mediaType = top.mediaType;
    if (isIndexMediaType(top.mediaType)) {
      const index = JSON.parse(top.body.toString('utf8')) as ImageIndex;
      const match = selectPlatformManifest((index.manifests ?? []).filter((m) => isImageManifestMediaType(m.mediaType)), platform);
      if (!match) throw notFound(`no matching manifest for ${formatPlatform(platform)} in the manifest list entries`);
      const child = await repo.getManifest(match.digest, options.signal ? { signal: options.signal } : {});
      await storeManifest(child.digest, child.body);
      manifestDesc = { mediaType: child.mediaType, digest: child.digest, size: child.body.length, ...(match.platform ? { platform: match.platform } : {}) };
      manifestBody = child.body;
      mediaType = child.mediaType;
    }
    if (mediaType === mediaTypes.dockerSchema1 || mediaType === mediaTypes.dockerSchema1Signed) {
      throw invalidArgument(`manifest ${manifestDesc.digest} is a Docker schema 1 manifest, which is not supported`);
    }
    const manifest = JSON.parse(manifestBody.toString('utf8')) as ImageManifest;
    if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers)) {
      throw invalidArgument(`manifest ${manifestDesc.digest} is not an image manifest (media type ${JSON.stringify(mediaType)})`);
    }
    const layers = manifest.layers.filter((l) => !(l.urls && l.urls.length > 0));
    const labels = { [distributionSourceLabel(ref.domain)]: ref.path };

    // Layers first announced, as docker does, then fetched with bounded parallelism.
    const present = new Set<string>();
    for (const l of layers) {
      if (await store.exists(l.digest)) {
        present.add(l.digest);
        emit({ status: 'Already exists', id: shortId(l.digest) });
        await addSourceLabel(store, l.digest, ref.domain, ref.path);
      } else emit({ status: 'Pulling fs layer', id: shortId(l.digest) });
    }
    const queue: Array<{ desc: Descriptor; layer: boolean }> = [{ desc: manifest.config, layer: false }, ...layers.filter((l) => !present.has(l.digest)).map((desc) => ({ desc, layer: true }))];
    const seen = new Set<string>();
    const work = queue.filter((q) => (seen.has(q.desc.digest) ? false : (seen.add(q.desc.digest), true)));
    // One promise per blob, settled when it is in the store (or the pull failed).
    const arrivals = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void }>();
    for (const q of work) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined);
      arrivals.set(q.desc.digest, { promise, resolve, reject });
    }
    const ready = (digest: string): Promise<void> => arrivals.get(digest)?.promise ?? Promise.resolve();
    // Blobs being written, for an unpack that reads them as they arrive.
    const inProgress = new Map<string, DownloadState>();
    for (const q of work) inProgress.set(q.desc.digest, new DownloadState(arrivals.get(q.desc.digest)!.promise));
    const downloading = async (digest: string): Promise<DownloadingBlob | undefined> => inProgress.get(digest)?.handle();
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < work.length && !failed) {
        const { desc, layer } = work[next++]!;
        const id = shortId(desc.digest);
        const throttle = new ProgressThrottle((current) => {
          if (layer) emit({ status: 'Downloading', id, progressDetail: { current, total: desc.size }, progress: progressBar(current, desc.size) });
        });
        const state = inProgress.get(desc.digest);
        const got = await fetchBlob(store, repo, desc, {
          labels,
          onWriter: (w) => state?.opened(w),
          onVerified: () => state?.checked(),
          onBytes: (n) => {
            state?.wrote(n);
            throttle.update(n, n === desc.size);
          },
          onVerifying: () => layer && emit({ status: 'Verifying Checksum', id }),
          retries: options.retries ?? 5,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.logger ? { logger: options.logger } : {}),
        });
        if (got) downloaded = true;
        else await addSourceLabel(store, desc.digest, ref.domain, ref.path);
        if (layer) emit({ status: got ? 'Download complete' : 'Already exists', id });
        arrivals.get(desc.digest)?.resolve();
      }
    };
    const n = Math.max(1, options.maxConcurrentDownloads ?? 3);
    // On a failure the other downloads finish their current blob (nothing is left half-open),
    // then the first error is reported.
    const downloads = Promise.allSettled(
      Array.from({ length: Math.min(n, work.length) }, () =>
        worker().catch((err: unknown) => {
          failed = true;
          throw err;
        }),
      ),
    ).then((results) => {
      const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      const err = firstError?.reason ?? (failed ? new Error('download stopped') : undefined);
      // whatever did not arrive never will: an unpack waiting for it stops with the cause
      for (const a of arrivals.values()) a.reject(err ?? new Error('blob was not downloaded'));
      if (firstError) throw firstError.reason;
    });

    const pulled: PulledImage = {
      reference: ref,
      name: formatReference(ref),
      digest: top.digest,
      mediaType: top.mediaType,
      manifestDescriptor: manifestDesc,
      manifest,
      config: manifest.config,
      layers,
      platform,
      downloaded,
    };
    if (options.unpack) {
      const unpacking = options.unpack(
        pulled,
        (layer, event, current, total) => {
          if (present.has(layer.digest)) return;
          const id = shortId(layer.digest);
          if (event === 'extracting') emit({ status: 'Extracting', id, progressDetail: { ...(current !== undefined ? { current } : {}), ...(total !== undefined ? { total } : {}) }, ...(current !== undefined ? { progress: progressBar(current, total) } : {}) });
          else emit({ status: 'Pull complete', id });
        },
        ready,
        downloading,
      );
      // a failed unpack stops further downloads; the download error wins when both fail
      const [d, u] = await Promise.allSettled([downloads, unpacking.catch((err: unknown) => ((failed = true), Promise.reject(err)))]);
      if (d.status === 'rejected') throw d.reason;
      if (u.status === 'rejected') throw u.reason;
    } else {
      await downloads;
      for (const l of layers) if (!present.has(l.digest)) emit({ status: 'Pull complete', id: shortId(l.digest) });
    }
    pulled.downloaded = downloaded;
    options.imageStore?.put({ name: formatReference(ref), target: { mediaType: top.mediaType, digest: top.digest, size: top.body.length } });
    if (options.summary !== false) {
      emit({ status: `Digest: ${top.digest}` });
      emit({ status: downloaded ? `Status: Downloaded newer image for ${familiarName(ref)}` : `Status: Image is up to date for ${familiarName(ref)}` });
    }
    return pulled;
  } catch (err) {
    throw wrap(err, what);
  }
}

/** One blob's download as DownloadingBlob sees it: its writer, the bytes written, its end. */
class DownloadState {
  private writer: Writer | undefined;
  private written = 0;
  private readonly watchers = new Set<() => void>();
  private restarted = false;
  private done = false;
  private readonly verified: Promise<void>;
  private passVerified!: () => void;
  private failVerified!: (err: unknown) => void;
  private started!: () => void;
  private readonly start: Promise<void>;

  constructor(arrival: Promise<void>) {
    this.start = new Promise<void>((resolve) => (this.started = resolve));
    this.verified = new Promise<void>((resolve, reject) => {
      this.passVerified = resolve;
      this.failVerified = reject;
      arrival.then(resolve, reject);
    });
    this.verified.catch(() => undefined);
    // once in (or failed) the blob is read from the store: no more handles
    arrival.then(
      () => this.finish(),
      () => this.finish(),
    );
  }

  private finish(): void {
    this.done = true;
    this.started();
    for (const fn of this.watchers) fn();
  }

  opened(w: Writer): void {
    this.writer = w;
    this.written = w.offset;
    this.started();
  }

  /** The digest matched: what was extracted from it may be committed (the blob's own commit follows). */
  checked(): void {
    if (!this.restarted) this.passVerified();
  }

  wrote(n: number): void {
    if (n < this.written) {
      // the ingest was truncated: bytes already handed out may change
      this.restarted = true;
      this.failVerified(new Error('the download restarted from the beginning'));
    }
    this.written = n;
    for (const fn of this.watchers) fn();
  }

  async handle(): Promise<DownloadingBlob | undefined> {
    await this.start;
    const w = this.writer;
    if (this.done || this.restarted || !w) return undefined;
    return {
      open: () => w.openReader(),
      available: () => this.written,
      watch: (fn) => {
        this.watchers.add(fn);
        return () => this.watchers.delete(fn);
      },
      verified: this.verified,
    };
  }
}
