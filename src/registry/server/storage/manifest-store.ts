import { createHash } from 'node:crypto';
import { digestAlgorithm, isDigest, isNotFound, parseDigest, type Digest } from '../../../lib/index.ts';
import { bareMediaType, isIndexMediaType, mediaTypes, registryError, RegistryApiError, type RegistryErrorEntry } from '../../api/index.ts';
import { exists, listDigests, type BlobStore } from './blob-store.ts';
import type { StorageDriver } from './driver.ts';
import * as paths from './paths.ts';

/** Manifests larger than this are refused with 413 (the spec asks registries to take 4 MiB). */
export const maxManifestSize = 4 * 1024 * 1024;

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  body: Buffer;
}

/** A descriptor as served by the referrers API. */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface ParsedManifest {
  mediaType?: string;
  schemaVersion?: number;
  artifactType?: string;
  config?: { digest?: string; mediaType?: string };
  layers?: Array<{ digest?: string; urls?: string[] }>;
  manifests?: Array<{ digest?: string }>;
  blobs?: Array<{ digest?: string }>;
  subject?: { digest?: string };
  annotations?: Record<string, string>;
}

/** Manifests: stored as blobs, linked as revisions of a repository, named by tags. */
export class ManifestStore {
  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * Validates and stores a manifest under `reference` (a tag, or the digest it must hash to).
   * Returns its digest and, when it has a subject, the subject's digest.
   */
  async put(name: string, reference: string, body: Buffer, contentType: string | undefined): Promise<{ digest: Digest; subject?: Digest }> {
    if (body.length > maxManifestSize) throw registryError('MANIFEST_TOO_LARGE', `manifest of ${body.length} bytes exceeds ${maxManifestSize}`);
    const alg = isDigest(reference) ? digestAlgorithm(reference) : 'sha256';
    const digest: Digest = `${alg}:${createHash(alg).update(body).digest('hex')}`;
    if (isDigest(reference) && reference !== digest) {
      throw registryError('DIGEST_INVALID', `manifest digest ${JSON.stringify(digest)} does not match ${JSON.stringify(reference)}`, { digest: reference });
    }
    let m: ParsedManifest;
    try {
      m = JSON.parse(body.toString('utf8')) as ParsedManifest;
    } catch {
      throw registryError('MANIFEST_INVALID', 'manifest is not valid JSON');
    }
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw registryError('MANIFEST_INVALID', 'manifest is not a JSON object');
    const ct = bareMediaType(contentType);
    if (m.schemaVersion !== 2) throw registryError('MANIFEST_INVALID', `unsupported manifest schemaVersion ${JSON.stringify(m.schemaVersion ?? null)}`);
    if (m.mediaType !== undefined && ct && ct !== 'application/json' && m.mediaType !== ct) {
      throw registryError('MANIFEST_INVALID', `Content-Type ${JSON.stringify(ct)} does not match mediaType ${JSON.stringify(m.mediaType)}`);
    }
    const mediaType = m.mediaType ?? (ct && ct !== 'application/json' ? ct : m.manifests ? mediaTypes.ociIndex : mediaTypes.ociManifest);
    const isIndex = isIndexMediaType(mediaType) || (Array.isArray(m.manifests) && !m.config);

    const missing: RegistryErrorEntry[] = [];
    const check = async (d: unknown, manifest: boolean) => {
      if (typeof d !== 'string' || !isDigest(d)) throw registryError('MANIFEST_INVALID', `invalid descriptor digest ${JSON.stringify(d)}`);
      const ok = manifest ? await exists(this.driver, paths.revisionLinkPath(name, d)) : await this.blobs.isLinked(name, d).then((l) => l && this.blobs.size(d).then((s) => s !== undefined));
      if (!ok) missing.push({ code: 'MANIFEST_BLOB_UNKNOWN', message: `${manifest ? 'manifest' : 'blob'} ${d} unknown to registry`, detail: { digest: d } });
    };
    if (isIndex) {
      if (!Array.isArray(m.manifests)) throw registryError('MANIFEST_INVALID', 'index has no manifests list');
      for (const child of m.manifests) await check(child?.digest, true);
    } else {
      if (!m.config || typeof m.config !== 'object') throw registryError('MANIFEST_INVALID', 'manifest has no config descriptor');
      await check(m.config.digest, false);
      if (!Array.isArray(m.layers ?? [])) throw registryError('MANIFEST_INVALID', 'manifest layers is not a list');
      for (const layer of m.layers ?? []) {
        if (Array.isArray(layer?.urls) && layer.urls.length > 0) continue; // foreign layer, lives elsewhere
        await check(layer?.digest, false);
      }
    }
    if (missing.length > 0) {
      throw new RegistryApiError('MANIFEST_BLOB_UNKNOWN', missing[0]!.message, { detail: missing[0]!.detail, entries: missing });
    }
    let subject: Digest | undefined;
    if (m.subject !== undefined) {
      if (typeof m.subject?.digest !== 'string' || !isDigest(m.subject.digest)) throw registryError('MANIFEST_INVALID', 'invalid subject descriptor');
      subject = m.subject.digest;
    }

    await this.blobs.putVerified(digest, body);
    await this.driver.putContent(paths.revisionMediaTypePath(name, digest), mediaType);
    await this.driver.putContent(paths.revisionLinkPath(name, digest), digest);
    if (subject) {
      const desc: ReferrerDescriptor = { mediaType, digest, size: body.length };
      const artifactType = m.artifactType ?? (isIndex ? undefined : m.config?.mediaType);
      if (artifactType) desc.artifactType = artifactType;
      if (m.annotations && Object.keys(m.annotations).length > 0) desc.annotations = m.annotations;
      await this.driver.putContent(paths.referrerLinkPath(name, subject, digest), JSON.stringify(desc));
    }
    if (!isDigest(reference)) await this.driver.putContent(paths.tagLinkPath(name, reference), digest);
    return subject ? { digest, subject } : { digest };
  }

  /** The digest a tag or digest reference names in the repository, or MANIFEST_UNKNOWN. */
  async resolve(name: string, reference: string): Promise<Digest> {
    let digest: Digest;
    if (isDigest(reference)) digest = reference;
    else {
      try {
        digest = parseDigest((await this.driver.getContent(paths.tagLinkPath(name, reference))).toString().trim());
      } catch (err) {
        if (isNotFound(err)) throw registryError('MANIFEST_UNKNOWN', `manifest ${JSON.stringify(`${name}:${reference}`)} unknown`, { tag: reference });
        throw err;
      }
    }
    if (!(await exists(this.driver, paths.revisionLinkPath(name, digest)))) {
      throw registryError('MANIFEST_UNKNOWN', `manifest ${JSON.stringify(`${name}@${digest}`)} unknown`, { digest });
    }
    return digest;
  }

  async get(name: string, reference: string): Promise<StoredManifest> {
    const digest = await this.resolve(name, reference);
    let body: Buffer;
    try {
      body = await this.blobs.read(digest);
    } catch (err) {
      if (isNotFound(err)) throw registryError('MANIFEST_UNKNOWN', `manifest ${JSON.stringify(digest)} data missing`, { digest });
      throw err;
    }
    let mediaType: string;
    try {
      mediaType = (await this.driver.getContent(paths.revisionMediaTypePath(name, digest))).toString();
    } catch {
      mediaType = (JSON.parse(body.toString()) as ParsedManifest).mediaType ?? mediaTypes.ociManifest;
    }
    return { digest, mediaType, body };
  }

  /**
   * Deletes by digest (the revision, every tag on it, its referrers entry) or by tag (the tag
   * only). MANIFEST_UNKNOWN when absent.
   */
  async delete(name: string, reference: string): Promise<void> {
    if (!isDigest(reference)) {
      await this.resolve(name, reference);
      await this.driver.delete(paths.tagDir(name, reference));
      return;
    }
    const digest = await this.resolve(name, reference);
    let parsed: ParsedManifest | undefined;
    try {
      parsed = JSON.parse((await this.blobs.read(digest)).toString()) as ParsedManifest;
    } catch {
      parsed = undefined;
    }
    for (const tag of await this.tags(name)) {
      try {
        const d = (await this.driver.getContent(paths.tagLinkPath(name, tag))).toString().trim();
        if (d === digest) await this.driver.delete(paths.tagDir(name, tag));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const subject = parsed?.subject?.digest;
    if (typeof subject === 'string' && isDigest(subject)) {
      await this.driver.delete(paths.referrerLinkPath(name, subject, digest).replace(/\/link$/, '')).catch(() => undefined);
    }
    await this.driver.delete(paths.revisionDir(name, digest));
  }

  async tags(name: string): Promise<string[]> {
    try {
      return await this.driver.list(paths.tagsRoot(name));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async revisions(name: string): Promise<Digest[]> {
    return listDigests(this.driver, paths.revisionsRoot(name));
  }

  /** Descriptors of the manifests in `name` whose subject is `subject`. */
  async referrers(name: string, subject: Digest): Promise<ReferrerDescriptor[]> {
    const out: ReferrerDescriptor[] = [];
    for (const d of await listDigests(this.driver, paths.referrersDir(name, subject))) {
      if (!(await exists(this.driver, paths.revisionLinkPath(name, d)))) continue;
      try {
        out.push(JSON.parse((await this.driver.getContent(paths.referrerLinkPath(name, subject, d))).toString()) as ReferrerDescriptor);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  }
}
