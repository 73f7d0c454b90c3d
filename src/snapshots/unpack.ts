import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  failedPrecondition,
  invalidArgument,
  isAlreadyExists,
  isNotFound,
  wrap,
  nullLogger,
  randomHex,
  type Digest,
  type Logger,
} from '../lib/index.ts';
import type { ApplyLayerOptions } from './apply-layer.ts';
import { chainIDs } from './chain-id.ts';
import type { BlobReaderAt } from './decompress.ts';
import type { GrowingReaderAt } from './growing-blob.ts';
import { onWorker, openLayerJob, openStreamJob, warmLayerWorker, type LayerJob } from './layer-worker.ts';
import { lowerDirsOf } from './diff.ts';
import type { Snapshotter } from './snapshotter.ts';

/** The part of an OCI descriptor unpacking needs. */
export interface LayerDescriptor {
  mediaType?: string;
  digest: Digest;
  size: number;
}

/** An image manifest as unpacking needs it (OCI or Docker schema 2). */
export interface UnpackManifest {
  config: LayerDescriptor;
  layers: readonly LayerDescriptor[];
}

/** Read access to blobs (the content store's Provider fits). */
export interface BlobReader {
  createReadStream(desc: { digest: Digest; size?: number }): Promise<Readable>;
  readBlob(desc: { digest: Digest; size?: number }): Promise<Buffer>;
  /** Random access, used when present: layers are then read in large chunks (readAhead). */
  readerAt?(desc: { digest: Digest; size?: number }): Promise<BlobReaderAt>;
  /**
   * A reader over a blob while it downloads (reads wait for its bytes), so extraction overlaps
   * the transfer; undefined once the blob is in (or when it is not being downloaded).
   */
  growingReaderAt?(desc: { digest: Digest; size: number }): Promise<GrowingReaderAt | undefined>;
}

export interface UnpackOptions {
  /** Create device nodes found in layers (the daemon's own images allow them; default false). */
  allowDevices?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
  /**
   * Called with each layer's chainID before the snapshot is looked for or made, so the caller
   * can add it to a lease (images' LeaseManager.addResource) and GC leaves the layers of an
   * unpack in progress alone until the image record references them.
   */
  onSnapshot?: (chainID: Digest) => void | Promise<void>;
}

export interface UnpackResult {
  diffIDs: Digest[];
  chainIDs: Digest[];
  /** The committed snapshot of the whole image (the last chainID). */
  top: Digest;
  /** How many layers were unpacked now (the rest already existed). */
  unpacked: number;
}

/** Labels on an unpack's active snapshot, so a crashed unpack's leftovers can be told apart. */
export const UNPACK_OWNER_LABEL = 'berth.unpack/owner';
const UNPACK_KEY_PREFIX = 'extract-';
/** How far the next layer is decompressed ahead while the one below it is written. */
const AHEAD_BYTES = 64 * 1024 * 1024;

const layerMediaTypes = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

/** This process's identity: pid plus its start time, so a reused pid is not mistaken for it. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownerToken(pid = process.pid): string {
  return `${pid}:${processStartTime(pid) ?? '0'}`;
}

function ownerAlive(token: string): boolean {
  const [pid, start] = token.split(':');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  return processStartTime(n) === start;
}

/**
 * Unpacks an image's layers into `snapshotter`: one committed snapshot per chainID, named by
 * it, each parented on the previous one. Layers whose chainID snapshot exists are skipped. Each
 * layer is streamed from the content store into a fresh active snapshot (key `extract-…`),
 * its diffID checked against the image config, then committed under the chainID; on any failure
 * the active snapshot is removed. Concurrent unpacks of one chainID in this process share one
 * extraction; across processes the first commit wins and the other discards its copy. A
 * process killed mid-unpack leaves only an `extract-…` active snapshot, never a committed one;
 * cleanupUnpacks() removes it.
 */
export class Unpacker {
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly blobs: BlobReader,
    private readonly snapshotter: Snapshotter,
  ) {}

  async unpack(manifest: UnpackManifest, options: UnpackOptions = {}): Promise<UnpackResult> {
    const log = options.logger ?? nullLogger;
    let config: { rootfs?: { type?: string; diff_ids?: unknown } };
    try {
      config = JSON.parse((await this.blobs.readBlob(manifest.config)).toString('utf8')) as typeof config;
    } catch (err) {
      throw wrap(err, `unpack: read image config ${JSON.stringify(manifest.config.digest)}`);
    }
    const diffIDs = config.rootfs?.diff_ids;
    if (!Array.isArray(diffIDs) || !diffIDs.every((d) => typeof d === 'string')) {
      throw invalidArgument('unpack: image config has no rootfs.diff_ids');
    }
    if (diffIDs.length !== manifest.layers.length) {
      throw invalidArgument(`unpack: manifest has ${manifest.layers.length} layers but the config lists ${diffIDs.length} diffIDs`);
    }
    if (manifest.layers.length === 0) throw invalidArgument('unpack: image has no layers');
    const chain = chainIDs(diffIDs as Digest[]);
    // something is to be extracted: have the worker loaded while the blobs may still download
    if (manifest.layers.some((l) => onWorker(l.size)) && this.blobs.readerAt && !(await this.isCommitted(chain[chain.length - 1]!))) warmLayerWorker();
    for (const layer of manifest.layers) {
      if (layer.mediaType && !layerMediaTypes.has(layer.mediaType)) {
        throw invalidArgument(`unpack: layer ${JSON.stringify(layer.digest)}: unsupported media type ${JSON.stringify(layer.mediaType)}`);
      }
    }
    let unpacked = 0;
    // The next layer is opened (decompressed and hashed ahead, on the layer worker) while this
    // one is written; a job opened for a layer that turns out to be there already is dropped.
    let ahead: { index: number; job: Promise<LayerJob> } | undefined;
    const drop = (job: Promise<LayerJob> | undefined) => void job?.then((j) => j.close(), () => undefined);
    try {
      for (let i = 0; i < chain.length; i++) {
        const name = chain[i]!;
        const layer = manifest.layers[i]!;
        const opened = ahead?.index === i ? ahead.job : undefined;
        ahead = undefined;
        if (options.onSnapshot) await options.onSnapshot(name);
        if (await this.isCommitted(name)) {
          drop(opened);
          continue;
        }
        let job = this.inflight.get(name);
        if (job) drop(opened);
        else {
          const openNext = async () => {
            const n = i + 1;
            if (ahead?.index === n) return; // a second attempt at this layer
            if (n < chain.length && !this.inflight.has(chain[n]!) && !(await this.isCommitted(chain[n]!))) {
              ahead = { index: n, job: this.openJob(manifest.layers[n]!, AHEAD_BYTES) };
              ahead.job.catch(() => undefined);
            }
          };
          job = this.unpackLayer(layer, diffIDs[i] as Digest, name, i === 0 ? undefined : chain[i - 1], options, opened ?? this.openJob(layer, 0), openNext).finally(() =>
            this.inflight.delete(name),
          );
          this.inflight.set(name, job);
          unpacked++;
        }
        await job;
        log.debug('layer unpacked', { chainID: name, digest: layer.digest });
      }
    } finally {
      drop(ahead?.job);
    }
    return { diffIDs: diffIDs as Digest[], chainIDs: chain, top: chain[chain.length - 1]!, unpacked };
  }

  /**
   * Opens a layer's blob for extraction (see openLayerJob); the content store verified its
   * digest, or will have before the layer is committed when it is read while it downloads.
   */
  private async openJob(layer: LayerDescriptor, aheadBytes: number, whileDownloading = true): Promise<LayerJob> {
    const options = { knownDigest: layer.digest, ...(aheadBytes ? { aheadBytes } : {}) };
    const growing = whileDownloading ? await this.blobs.growingReaderAt?.(layer) : undefined;
    if (growing) return openLayerJob(growing, options);
    if (this.blobs.readerAt) return openLayerJob(await this.blobs.readerAt(layer), options);
    return openStreamJob(await this.blobs.createReadStream(layer), options);
  }

  private async isCommitted(name: string): Promise<boolean> {
    try {
      const info = await this.snapshotter.stat(name);
      if (info.kind !== 'committed') throw failedPrecondition(`unpack: snapshot ${JSON.stringify(name)} exists but is ${info.kind}`);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Extracts one layer (its blob already opened as `opening`) into a fresh active snapshot on
   * `parent`, checks its diffID and commits it as `name`. `started` is called once the
   * extraction is under way.
   */
  private async unpackLayer(
    layer: LayerDescriptor, diffID: Digest, name: Digest, parent: Digest | undefined, options: UnpackOptions,
    opening: Promise<LayerJob>, started: () => Promise<void>,
  ): Promise<void> {
    try {
      await this.extractLayer(layer, diffID, name, parent, options, opening, started);
    } catch (err) {
      // Read while it downloaded, the blob failed or restarted from zero: extract it again once
      // it is whole (if the download failed for good, opening it now fails with that error).
      const job = await opening.catch(() => undefined);
      if (!job?.verified || (await job.verified.then(() => true, () => false))) throw err;
      await this.extractLayer(layer, diffID, name, parent, options, this.openJob(layer, 0, false), started);
    }
  }

  private async extractLayer(
    layer: LayerDescriptor, diffID: Digest, name: Digest, parent: Digest | undefined, options: UnpackOptions,
    opening: Promise<LayerJob>, started: () => Promise<void>,
  ): Promise<void> {
    const key = `${UNPACK_KEY_PREFIX}${randomHex(6)}-${name}`;
    const what = `unpack layer ${JSON.stringify(layer.digest)}`;
    let job: LayerJob | undefined;
    let mounts;
    try {
      job = await opening;
      mounts = await this.snapshotter.prepare(key, parent, { labels: { [UNPACK_OWNER_LABEL]: ownerToken() } });
    } catch (err) {
      job?.close();
      throw wrap(err, what);
    }
    try {
      const dir = await this.snapshotter.layerDir(key);
      // an overlay upper gets overlay whiteouts; a bind-mounted snapshot holds the whole tree
      // (a base layer, or a copying snapshotter), where whiteouts simply remove paths
      const overlay = mounts.some((m) => m.type === 'overlay');
      const parents = lowerDirsOf(mounts).filter((d) => d !== dir);
      const applyOpts: ApplyLayerOptions = overlay ? { whiteouts: 'overlay', parents } : { whiteouts: 'flat' };
      // the content store verified the blob's digest when it was written: only the diffID is
      // computed here (and checked against the config, whose digest the manifest pins)
      applyOpts.knownDigest = layer.digest;
      if (options.allowDevices) applyOpts.allowDevices = true;
      if (options.signal) applyOpts.signal = options.signal;
      const applying = job.apply(dir, applyOpts);
      applying.catch(() => undefined); // awaited below
      await started().catch(() => undefined);
      const result = await applying;
      // read while it downloaded: nothing is committed before the blob is whole and verified
      if (job.verified) await job.verified;
      if (result.digest !== layer.digest) {
        throw failedPrecondition(`blob digest is ${result.digest}, manifest says ${layer.digest}`);
      }
      if (result.diffID !== diffID) throw failedPrecondition(`diffID is ${result.diffID}, image config says ${diffID}`);
      try {
        await this.snapshotter.commit(name, key);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        await this.snapshotter.remove(key); // another process committed the same layer first
      }
    } catch (err) {
      job.close();
      await this.snapshotter.remove(key).catch(() => {});
      throw wrap(err, what);
    }
  }
}

/** Removes the active snapshots of unpacks whose process is gone (killed mid-unpack), then the
 * snapshotter's orphaned directories. Returns the keys removed. */
export async function cleanupUnpacks(snapshotter: Snapshotter): Promise<string[]> {
  const stale: string[] = [];
  await snapshotter.walk(
    (info) => {
      const owner = info.labels[UNPACK_OWNER_LABEL];
      if (owner !== undefined && info.name.startsWith(UNPACK_KEY_PREFIX) && !ownerAlive(owner)) stale.push(info.name);
    },
    { kind: 'active', labels: { [UNPACK_OWNER_LABEL]: '' } },
  );
  for (const key of stale) await snapshotter.remove(key).catch(() => {});
  await snapshotter.cleanup();
  return stale;
}

/** unpackImage(blobs, manifest, snapshotter): a one-off Unpacker. */
export function unpackImage(blobs: BlobReader, manifest: UnpackManifest, snapshotter: Snapshotter, options: UnpackOptions = {}): Promise<UnpackResult> {
  return new Unpacker(blobs, snapshotter).unpack(manifest, options);
}
