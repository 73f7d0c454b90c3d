import { BlobStore } from './blob-store.ts';
import type { StorageDriver } from './driver.ts';
import { SharedLock } from './lock.ts';
import { ManifestStore } from './manifest-store.ts';
import { listRepositories } from './repositories.ts';
import { UploadStore } from './upload-store.ts';

/** Everything the handlers need from storage, over one StorageDriver. */
export class RegistryStorage {
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;
  /** Shared by reference-creating requests, exclusive for the garbage collector's sweep. */
  readonly lock = new SharedLock();

  constructor(readonly driver: StorageDriver) {
    this.blobs = new BlobStore(driver);
    this.uploads = new UploadStore(driver, this.blobs);
    this.manifests = new ManifestStore(driver, this.blobs);
  }

  repositories(): Promise<string[]> {
    return listRepositories(this.driver);
  }
}
