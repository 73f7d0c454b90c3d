import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore, writeBlob, type ContentStore } from '../../src/content/index.ts';
import type { Digest } from '../../src/lib/index.ts';
import { FilesystemDriver, RegistryServer, RegistryStorage, type RegistryServerOptions } from '../../src/registry/server/index.ts';

export function sha(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `berth-registry-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestRegistry {
  url: string;
  /** host:port, as used in image references. */
  host: string;
  root: string;
  server: RegistryServer;
  storage: RegistryStorage;
  stop(): Promise<void>;
}

/** Starts berth-registry in-process on 127.0.0.1 and a random port, over a fresh (or given) root. */
export async function startRegistry(options: Partial<RegistryServerOptions> & { root?: string } = {}): Promise<TestRegistry> {
  const dir = options.root ? undefined : tempDir('root');
  const root = options.root ?? dir!.path;
  const storage = new RegistryStorage(new FilesystemDriver(root));
  const server = new RegistryServer({ ...options, storage });
  const url = await server.listen('127.0.0.1:0');
  return {
    url,
    host: new URL(url).host,
    root,
    server,
    storage,
    async stop() {
      await server.close();
      dir?.remove();
    },
  };
}

export function openContentStore(): { store: ContentStore; remove: () => void } {
  const dir = tempDir('content');
  return { store: new LocalContentStore(join(dir.path, 'content')), remove: dir.remove };
}

export interface TestImage {
  manifestDigest: Digest;
  manifest: Buffer;
  config: { digest: Digest; size: number };
  layers: Array<{ digest: Digest; size: number; data: Buffer }>;
}

/** Builds an OCI image of random layers in a content store (layer bytes are opaque to a registry). */
export async function makeImage(store: ContentStore, layerSizes: number[], options: { mediaType?: 'oci' | 'docker'; seed?: string } = {}): Promise<TestImage> {
  const docker = options.mediaType === 'docker';
  const layers = [];
  for (const n of layerSizes) {
    // gzip of random bytes: real compressed layers (tools such as skopeo check), about n bytes
    const data = gzipSync(randomBytes(n), { level: 1 });
    const { digest } = await writeBlob(store, data);
    layers.push({ digest, size: data.length, data });
  }
  const configBody = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Labels: { seed: options.seed ?? randomBytes(4).toString('hex') } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const config = await writeBlob(store, configBody);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }),
  );
  const m = await writeBlob(store, manifest);
  return { manifestDigest: m.digest, manifest, config, layers };
}
