import type { BlobRef, CommitOptions, ContentStore, Info, Labels, ReadStreamOptions, ReaderAt, Status, Writer, WriterOptions } from '../content/index.ts';
import type { Readable } from 'node:stream';
import type { Digest } from '../lib/index.ts';
import type { LeaseManager } from './leases.ts';

/**
 * A view of a content store in which every blob touched is first added to a lease: looked up
 * (exists, info), read, or written (its expected digest and its ingest ref up front, the
 * committed digest after commit). Give it to code that knows nothing of leases (the registry
 * client's pull, a load, a build) and the GC will not collect what that code is assembling,
 * including a blob it found "already there". Delete the lease once the image record exists.
 */
export function leasedContent(store: ContentStore, leases: LeaseManager, leaseId: string): ContentStore {
  const hold = (digest: string) => leases.addResource(leaseId, { type: 'content', id: digest });
  return {
    async info(digest: string): Promise<Info> {
      await hold(digest);
      return store.info(digest);
    },
    async exists(digest: string): Promise<boolean> {
      await hold(digest);
      return store.exists(digest);
    },
    async readerAt(desc: BlobRef): Promise<ReaderAt> {
      await hold(desc.digest);
      return store.readerAt(desc);
    },
    async createReadStream(desc: BlobRef, options?: ReadStreamOptions): Promise<Readable> {
      await hold(desc.digest);
      return store.createReadStream(desc, options);
    },
    async readBlob(desc: BlobRef): Promise<Buffer> {
      await hold(desc.digest);
      return store.readBlob(desc);
    },
    async writer(ref: string, options?: WriterOptions): Promise<Writer> {
      await leases.addResource(leaseId, { type: 'ingest', id: ref });
      if (options?.expected) await hold(options.expected.digest);
      const w = await store.writer(ref, options);
      return {
        get ref() {
          return w.ref;
        },
        get offset() {
          return w.offset;
        },
        write: (chunk) => w.write(chunk),
        writev: (chunks) => w.writev(chunks),
        openReader: () => w.openReader(),
        digest: () => w.digest(),
        status: () => w.status(),
        truncate: (size) => w.truncate(size),
        async commit(size?: number, expected?: string, commitOptions?: CommitOptions): Promise<Digest> {
          // Held before the blob becomes visible, so no collection can see it unreferenced.
          await hold(expected ?? w.digest());
          return w.commit(size, expected, commitOptions);
        },
        close: () => w.close(),
      };
    },
    status: (ref: string): Promise<Status> => store.status(ref),
    listStatuses: (options?: { prefix?: string }) => store.listStatuses(options),
    abort: (ref: string) => store.abort(ref),
    isIngestActive: (ref: string) => store.isIngestActive(ref),
    pruneIngests: (options: { olderThan: Date; keep?: (ref: string) => boolean }) => store.pruneIngests(options),
    update: (info: { digest: string; labels: Labels }, fieldpaths?: readonly string[]) => store.update(info, fieldpaths),
    walk: (fn: (info: Info) => void | Promise<void>) => store.walk(fn),
    delete: (digest: string) => store.delete(digest),
  };
}
