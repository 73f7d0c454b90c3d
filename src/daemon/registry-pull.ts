import type { Readable } from 'node:stream';
import type { ImagePullOptions, ProgressSink } from '../api/server/index.ts';
import type { ContentStore, ReaderAt } from '../content/index.ts';
import { familiarString, leasedContent, parseDockerRef, type ImageService, type Lease, type LeaseManager } from '../images/index.ts';
import type { Digest } from '../lib/index.ts';
import { followGrowingBlob, type GrowingReaderAt } from '../snapshots/index.ts';
import { parseReference, pullImage, type Credentials, type Descriptor, type RegistryClient, type UnpackHook } from '../registry/client/index.ts';

/** Blob reads for an unpack (the snapshots' BlobReader). */
export interface UnpackBlobs {
  createReadStream(desc: { digest: Digest; size?: number }): Promise<Readable>;
  readBlob(desc: { digest: Digest; size?: number }): Promise<Buffer>;
  readerAt(desc: { digest: Digest; size?: number }): Promise<ReaderAt>;
  /** A reader over a layer still downloading (see the snapshots' BlobReader). */
  growingReaderAt(desc: { digest: Digest; size: number }): Promise<GrowingReaderAt | undefined>;
}

/** What an unpack needs of a pulled image: its config and layers, in order. */
export interface UnpackImage {
  config: Descriptor;
  layers: Descriptor[];
}

/** X-Registry-Auth's JSON fields (docker's AuthConfig) → the registry client's credentials. */
export function credentialsFrom(auth: Record<string, unknown> | undefined): Credentials | undefined {
  if (!auth) return undefined;
  const s = (k: string) => (typeof auth[k] === 'string' && auth[k] !== '' ? (auth[k] as string) : undefined);
  const c: Credentials = {};
  const username = s('username');
  const password = s('password');
  const identityToken = s('identitytoken');
  const registryToken = s('registrytoken');
  if (username) c.username = username;
  if (password) c.password = password;
  if (identityToken) c.identityToken = identityToken;
  if (registryToken) c.registryToken = registryToken;
  return Object.keys(c).length ? c : undefined;
}

/**
 * `POST /images/create?fromImage=`: pulls through the registry client into the content store,
 * unpacks the layers (docker's `Extracting` then `Pull complete` per layer), records the name,
 * and ends with docker's Digest/Status lines. With
 * `leases`, the whole pull runs under one lease: every blob it looks at or writes and every
 * snapshot it unpacks is held, so a GC during the pull (rmi, image prune) keeps them.
 */
export function registryPuller(deps: {
  client: RegistryClient;
  content: ContentStore;
  images: ImageService;
  /**
   * Unpacks an image's layers in order, reading blobs through `blobs` (the pull's leased view of
   * the content store); `onSnapshot` is called with each chainID before it is looked for or made.
   */
  unpack: (image: UnpackImage, options: { blobs: UnpackBlobs; signal: AbortSignal; onSnapshot: (chainID: Digest) => Promise<void> }) => Promise<void>;
  leases?: LeaseManager;
  onPulled?: (id: string, name: string) => void;
}): (options: ImagePullOptions, progress: ProgressSink) => Promise<void> {
  return async (options, progress) => {
    const raw = options.tag && !options.image.includes('@') ? `${options.image}:${options.tag}` : options.image;
    const ref = parseDockerRef(raw);
    const full = `${ref.domain}/${ref.path}${ref.digest ? '@' + ref.digest : ':' + (ref.tag ?? 'latest')}`;
    const display = familiarString(ref);
    let before: string | undefined;
    try {
      before = (await deps.images.getImage(full)).id;
    } catch {
      before = undefined;
    }
    const auth = credentialsFrom(options.auth);
    const run = async (lease: Lease | undefined): Promise<{ id: string; digest: string }> => {
      const leases = deps.leases;
      const store = lease && leases ? leasedContent(deps.content, leases, lease.id) : deps.content;
      const reference = parseReference(full);
      // Layers are unpacked inside the pull (before the image record exists: the lease holds
      // each snapshot); the layer before a chainID's turn is complete when the next one starts.
      // The unpack runs while later layers still download: each read waits for its blob.
      const unpack: UnpackHook = async (image, onLayer, ready, downloading) => {
        const layers = image.manifest.layers;
        const blobs: UnpackBlobs = {
          createReadStream: async (desc) => (await ready(desc.digest), store.createReadStream(desc)),
          readBlob: async (desc) => (await ready(desc.digest), store.readBlob(desc)),
          readerAt: async (desc) => (await ready(desc.digest), store.readerAt(desc)),
          // a layer is extracted while it downloads; its snapshot is committed once it is verified
          growingReaderAt: async (desc) => {
            const d = await downloading(desc.digest);
            const base = await d?.open().catch(() => undefined); // committed meanwhile: read it whole
            return d && base ? followGrowingBlob(base, desc.size, d) : undefined;
          },
        };
        let i = 0;
        const onSnapshot = async (chainID: Digest) => {
          if (lease && leases) await leases.addResource(lease.id, { type: 'snapshot', id: chainID });
          const prev = layers[i - 1];
          if (prev) onLayer(prev, 'complete');
          const layer = layers[i++];
          // docker shows a layer as extracting once it is downloaded (it may have started before)
          if (layer) void ready(layer.digest).then(() => onLayer(layer, 'extracting'), () => undefined);
        };
        await deps.unpack({ config: image.config, layers }, { blobs, signal: options.signal, onSnapshot });
        const last = layers[i - 1];
        if (last) onLayer(last, 'complete');
      };
      // pullImage wraps its errors once as `pull "name": ...`; the summary lines are ours.
      const pulled = await pullImage(store, deps.client.repository(reference, auth ? { auth } : {}), reference, {
        onProgress: (m) => progress.write(m),
        signal: options.signal,
        summary: false,
        unpack,
        ...(options.platform ? { platform: options.platform } : {}),
      });
      const info = await store.info(pulled.digest);
      deps.images.createImage(full, { mediaType: pulled.mediaType, digest: pulled.digest, size: info.size });
      return { id: (await deps.images.getImage(full)).id, digest: pulled.digest };
    };
    const img = deps.leases ? await deps.leases.withLease((lease) => run(lease), { expiresInMs: 24 * 3600_000, labels: { 'berth.pull': full } }) : await run(undefined);
    progress.write({ status: `Digest: ${img.digest}` });
    progress.write({
      status: before === img.id ? `Status: Image is up to date for ${display}` : `Status: Downloaded newer image for ${display}`,
    });
    deps.onPulled?.(img.id, display);
  };
}
