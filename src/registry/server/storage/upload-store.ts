import { createHash, randomUUID, type Hash } from 'node:crypto';
import { digestAlgorithm, isNotFound, type Digest } from '../../../lib/index.ts';
import { registryError } from '../../api/index.ts';
import type { BlobStore } from './blob-store.ts';
import type { StorageDriver } from './driver.ts';
import { KeyedMutex } from './lock.ts';
import * as paths from './paths.ts';

const idRe = /^[a-zA-Z0-9-]{8,64}$/;

/** A running hash of an upload's bytes so far, kept in memory while the server lives. */
interface HashState {
  hash: Hash;
  offset: number;
}

/**
 * Blob uploads: bytes accumulate in `_uploads/<id>/data` (so an upload survives a restart), are
 * verified against the client's digest on completion, and only then moved to the blob's final
 * path and linked into the repository.
 */
export class UploadStore {
  private readonly hashes = new Map<string, HashState>();
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
  ) {}

  async start(name: string): Promise<string> {
    const id = randomUUID();
    await this.driver.putContent(paths.uploadStartedAtPath(name, id), new Date().toISOString());
    const w = await this.driver.writer(paths.uploadDataPath(name, id));
    await w.commit();
    this.hashes.set(`${name}/${id}`, { hash: createHash('sha256'), offset: 0 });
    return id;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN when the upload does not exist. */
  async size(name: string, id: string): Promise<number> {
    if (!idRe.test(id)) throw unknownUpload(id);
    try {
      return (await this.driver.stat(paths.uploadDataPath(name, id))).size;
    } catch (err) {
      if (isNotFound(err)) throw unknownUpload(id);
      throw err;
    }
  }

  /**
   * Appends a request body. With `start` (from Content-Range) the chunk must begin exactly where
   * the upload ends, else RANGE_INVALID (416) carrying the current size.
   */
  async append(name: string, id: string, body: AsyncIterable<Uint8Array>, start?: number): Promise<number> {
    return this.mutex.run(`${name}/${id}`, async () => {
      const current = await this.size(name, id);
      if (start !== undefined && start !== current) {
        throw registryError('RANGE_INVALID', `chunk starts at ${start}, upload is at ${current}`, { size: current });
      }
      const key = `${name}/${id}`;
      let state = this.hashes.get(key);
      if (state && state.offset !== current) state = undefined;
      const w = await this.driver.writer(paths.uploadDataPath(name, id), { append: true });
      try {
        for await (const chunk of body) {
          await w.write(chunk);
          state?.hash.update(chunk);
        }
        await w.close();
      } catch (err) {
        await w.close();
        this.hashes.delete(key);
        throw err;
      }
      if (state) {
        state.offset = w.size;
        this.hashes.set(key, state);
      } else this.hashes.delete(key);
      return w.size;
    });
  }

  /**
   * Verifies the upload against `digest` and, if it matches, makes it the blob's data and links
   * it into the repository. On mismatch the upload is discarded (DIGEST_INVALID).
   */
  async complete(name: string, id: string, digest: Digest, expectedSize?: number): Promise<number> {
    return this.mutex.run(`${name}/${id}`, async () => {
      const key = `${name}/${id}`;
      const size = await this.size(name, id);
      const actual = await this.digestOf(name, id, key, size, digestAlgorithm(digest));
      if (expectedSize !== undefined && expectedSize !== size) {
        await this.remove(name, id);
        throw registryError('SIZE_INVALID', `upload has ${size} bytes, expected ${expectedSize}`, { size });
      }
      if (actual !== digest) {
        await this.remove(name, id);
        throw registryError('DIGEST_INVALID', `upload digest ${JSON.stringify(actual)} does not match ${JSON.stringify(digest)}`, { digest });
      }
      if ((await this.blobs.size(digest)) === undefined) {
        await this.driver.move(paths.uploadDataPath(name, id), paths.blobDataPath(digest));
      }
      await this.blobs.link(name, digest);
      await this.remove(name, id);
      return size;
    });
  }

  async cancel(name: string, id: string): Promise<void> {
    await this.size(name, id);
    await this.remove(name, id);
  }

  private async remove(name: string, id: string): Promise<void> {
    this.hashes.delete(`${name}/${id}`);
    try {
      await this.driver.delete(paths.uploadDir(name, id));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async digestOf(name: string, id: string, key: string, size: number, alg: 'sha256' | 'sha512'): Promise<Digest> {
    const state = this.hashes.get(key);
    if (state && state.offset === size && alg === 'sha256') return `sha256:${state.hash.copy().digest('hex')}`;
    // After a restart (or for sha512) the running hash is gone: hash the data on disk.
    const h = createHash(alg);
    for await (const chunk of await this.driver.reader(paths.uploadDataPath(name, id))) h.update(chunk as Buffer);
    return `${alg}:${h.digest('hex')}`;
  }

  /** Uploads of a repository with their start time (for expiry). */
  async list(name: string): Promise<Array<{ id: string; startedAt: Date }>> {
    const out: Array<{ id: string; startedAt: Date }> = [];
    let ids: string[];
    try {
      ids = await this.driver.list(paths.uploadsRoot(name));
    } catch (err) {
      if (isNotFound(err)) return out;
      throw err;
    }
    for (const id of ids) {
      let startedAt = new Date(0);
      try {
        startedAt = new Date((await this.driver.getContent(paths.uploadStartedAtPath(name, id))).toString());
      } catch {
        // no start time: treat as old
      }
      out.push({ id, startedAt });
    }
    return out;
  }

  async purge(name: string, id: string): Promise<void> {
    await this.remove(name, id);
  }
}

function unknownUpload(id: string) {
  return registryError('BLOB_UPLOAD_UNKNOWN', `blob upload ${JSON.stringify(id)} unknown`);
}
