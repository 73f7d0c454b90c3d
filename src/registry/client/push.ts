import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContentStore } from '../../content/index.ts';
import { invalidArgument, isNotFound, messageOf, wrap, type Digest, type Logger } from '../../lib/index.ts';
import { isIndexMediaType, RegistryApiError } from '../api/index.ts';
import type { Descriptor, ImageIndex, ImageManifest } from './manifest-types.ts';
import { ProgressThrottle, progressBar, shortId, type ProgressCallback } from './progress.ts';
import { addSourceLabel, distributionSourceLabel } from './pull.ts';
import { familiarRepository, type ImageReference } from './reference.ts';
import type { RemoteRepository } from './remote-repository.ts';

export interface PushOptions {
  /** The manifest or index to push (from the image store), found in the content store. */
  manifest: { digest: Digest; mediaType?: string };
  onProgress?: ProgressCallback;
  /** Upload blobs larger than this in PATCH chunks of this size; monolithic when unset. */
  chunkSize?: number;
  /** Parallel blob uploads (default 3). */
  maxConcurrentUploads?: number;
  retries?: number;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface PushResult {
  digest: Digest;
  size: number;
  tag?: string;
}

type BlobOutcome = 'exists' | 'mounted' | 'pushed';

/**
 * Pushes an image (or an index with the images it lists) from the content store: blobs first
 * (HEAD to skip those the registry has, cross-repository mount when the blob is known in another
 * repository of the same registry, else a monolithic or chunked upload), manifests after, the
 * tagged one last.
 */
export async function pushImage(store: ContentStore, repo: RemoteRepository, ref: ImageReference, options: PushOptions): Promise<PushResult> {
  const emit = options.onProgress ?? (() => {});
  const what = `push ${JSON.stringify(familiarRepository(ref) + (ref.tag ? `:${ref.tag}` : ''))}`;
  try {
    emit({ status: `The push refers to repository [${familiarRepository(ref)}]` });
    const topBody = await store.readBlob({ digest: options.manifest.digest });
    const top = JSON.parse(topBody.toString('utf8')) as Partial<ImageManifest & ImageIndex>;
    const topType = options.manifest.mediaType ?? top.mediaType ?? (top.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json');

    // Collect the manifests to push (children of an index that are in the store) and their blobs.
    const manifests: Array<{ desc: Descriptor; body: Buffer; manifest: ImageManifest }> = [];
    const children: Descriptor[] = [];
    if (isIndexMediaType(topType) || Array.isArray(top.manifests)) {
      for (const child of top.manifests ?? []) {
        let body: Buffer;
        try {
          body = await store.readBlob({ digest: child.digest });
        } catch (err) {
          if (!isNotFound(err)) throw err;
          children.push(child); // not local: the registry must already have it
          continue;
        }
        manifests.push({ desc: child, body, manifest: JSON.parse(body.toString('utf8')) as ImageManifest });
      }
    } else {
      manifests.push({ desc: { mediaType: topType, digest: options.manifest.digest, size: topBody.length }, body: topBody, manifest: top as ImageManifest });
    }
    for (const c of children) {
      if (!(await repo.headManifest(c.digest))) throw invalidArgument(`manifest ${c.digest} listed in the index is neither local nor in the repository`);
    }

    const layerIds = new Set<string>();
    const blobs = new Map<string, { desc: Descriptor; layer: boolean }>();
    for (const m of manifests) {
      if (!m.manifest.config) throw invalidArgument(`manifest ${m.desc.digest} has no config`);
      blobs.set(m.manifest.config.digest, { desc: m.manifest.config, layer: false });
      for (const l of m.manifest.layers ?? []) {
        if (l.urls && l.urls.length > 0) continue;
        blobs.set(l.digest, { desc: l, layer: true });
      }
    }
    const work = [...blobs.values()];
    for (const b of work) if (b.layer && !layerIds.has(b.desc.digest)) {
      layerIds.add(b.desc.digest);
      emit({ status: 'Preparing', id: shortId(b.desc.digest) });
    }
    for (const b of work) if (b.layer) emit({ status: 'Waiting', id: shortId(b.desc.digest) });

    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const { desc, layer } = work[next++]!;
        const id = shortId(desc.digest);
        const outcome = await pushBlob(store, repo, ref, desc, {
          onBytes: layer ? (current) => emit({ status: 'Pushing', id, progressDetail: { current, total: desc.size }, progress: progressBar(current, desc.size) }) : () => {},
          onMounted: (from) => layer && emit({ status: `Mounted from ${from}`, id }),
          options,
        });
        if (layer && outcome === 'exists') emit({ status: 'Layer already exists', id });
        if (layer && outcome === 'pushed') emit({ status: 'Pushed', id });
        await addSourceLabel(store, desc.digest, ref.domain, ref.path);
      }
    };
    const n = Math.max(1, options.maxConcurrentUploads ?? 3);
    await Promise.all(Array.from({ length: Math.min(n, work.length) }, worker));

    const isIndex = isIndexMediaType(topType) || Array.isArray(top.manifests);
    if (isIndex) {
      for (const m of manifests) await repo.putManifest(m.desc.digest, m.desc.mediaType, m.body);
    }
    const reference = ref.tag ?? ref.digest ?? options.manifest.digest;
    const { digest } = await repo.putManifest(reference, topType, topBody);
    await addSourceLabel(store, options.manifest.digest, ref.domain, ref.path);
    emit({ status: `${ref.tag ?? 'latest'}: digest: ${digest} size: ${topBody.length}` });
    emit({ progressDetail: {}, aux: { Tag: ref.tag ?? '', Digest: digest, Size: topBody.length } });
    return { digest, size: topBody.length, ...(ref.tag ? { tag: ref.tag } : {}) };
  } catch (err) {
    throw wrap(err, what);
  }
}

async function pushBlob(
  store: ContentStore,
  repo: RemoteRepository,
  ref: ImageReference,
  desc: Descriptor,
  h: { onBytes: (n: number) => void; onMounted: (from: string) => void; options: PushOptions },
): Promise<BlobOutcome> {
  if ((await repo.headBlob(desc.digest)) !== undefined) return 'exists';
  // Cross-repository mount from a repository of the same registry that has the blob.
  let location: string | undefined;
  try {
    const info = await store.info(desc.digest);
    const sources = (info.labels[distributionSourceLabel(ref.domain)] ?? '').split(',').filter((r) => r && r !== ref.path);
    for (const from of sources) {
      const r = await repo.mountBlob(desc.digest, from);
      if (r === true) {
        h.onMounted(from);
        return 'mounted';
      }
      location = r;
      break;
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const retries = h.options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      location ??= await repo.startUpload();
      const throttle = new ProgressThrottle(h.onBytes);
      if (h.options.chunkSize && desc.size > h.options.chunkSize) {
        await uploadChunked(store, repo, desc, location, h.options.chunkSize, throttle, h.options.signal);
      } else {
        const loc = location;
        await repo.completeUpload(
          loc,
          desc.digest,
          () => blobBody(store, desc, (n) => throttle.update(n, n === desc.size)),
          desc.size,
          h.options.signal,
        );
      }
      return 'pushed';
    } catch (err) {
      const transient = err instanceof RegistryApiError ? err.status >= 500 || err.ociCode === 'UNAVAILABLE' : /socket|closed|reset|terminated/i.test(messageOf(err));
      if (attempt >= retries || !transient || h.options.signal?.aborted) throw wrap(err, `push blob ${desc.digest}`);
      h.options.logger?.warn('blob upload failed, retrying', { digest: desc.digest, error: messageOf(err) });
      location = undefined;
      await sleep(Math.min(200 * 2 ** attempt, 2000));
    }
  }
}

/** PATCH chunks in order, resuming from the registry's offset after a failed chunk. */
async function uploadChunked(store: ContentStore, repo: RemoteRepository, desc: Descriptor, location: string, chunkSize: number, throttle: ProgressThrottle, signal?: AbortSignal): Promise<void> {
  const reader = await store.readerAt({ digest: desc.digest, size: desc.size });
  try {
    let offset = 0;
    let failures = 0;
    while (offset < desc.size) {
      const len = Math.min(chunkSize, desc.size - offset);
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const n = await reader.readAt(buf.subarray(got), offset + got);
        if (n === 0) break;
        got += n;
      }
      try {
        location = await repo.uploadChunk(location, offset, buf.subarray(0, got), signal);
        offset += got;
        throttle.update(offset, offset === desc.size);
      } catch (err) {
        if (++failures > 3 || signal?.aborted || (err instanceof RegistryApiError && err.status < 500 && err.ociCode !== 'UNAVAILABLE' && err.ociCode !== 'RANGE_INVALID')) throw err;
        // Ask the registry how much it holds (it may be coming back) and resume from there.
        let st: { offset: number; location: string } | undefined;
        for (let i = 0; !st; i++) {
          try {
            st = await repo.uploadStatus(location);
          } catch (statusErr) {
            if (i >= 4) throw statusErr;
            await sleep(200 * 2 ** i);
          }
        }
        offset = st.offset;
        location = st.location;
      }
    }
    await repo.completeUpload(location, desc.digest, null, 0, signal);
  } finally {
    await reader.close();
  }
}

/** A blob from the content store as a request body, read in 1 MiB pieces, counting bytes as they go. */
function blobBody(store: ContentStore, desc: Descriptor, onBytes: (n: number) => void): Readable {
  return Readable.from(
    (async function* () {
      const reader = await store.readerAt({ digest: desc.digest, size: desc.size });
      try {
        let offset = 0;
        while (offset < desc.size) {
          const buf = Buffer.allocUnsafe(Math.min(1 << 20, desc.size - offset));
          const n = await reader.readAt(buf, offset);
          if (n === 0) break;
          offset += n;
          onBytes(offset);
          yield n === buf.length ? buf : buf.subarray(0, n);
        }
      } finally {
        await reader.close();
      }
    })(),
    { objectMode: false },
  );
}
