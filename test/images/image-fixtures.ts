// Shared by the image tests: a throwaway data root with a content store and an overlay
// snapshotter on the metadata db, images built from in-memory layer tars, and tree snapshots.
import { mkdtemp, rm } from 'node:fs/promises';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LocalContentStore, contentRoot, writeBlob } from '../../src/content/index.ts';
import { openMetadataDb, metadataDbPath, migrate, type MetadataDb } from '../../src/metadata/index.ts';
import { OverlaySnapshotter, isOverlayWhiteout, isOpaqueDir } from '../../src/snapshots/index.ts';
import { sha256, type Digest } from '../../src/lib/index.ts';

export interface Env {
  root: string;
  db: MetadataDb;
  content: LocalContentStore;
  snapshotter: OverlaySnapshotter;
  dispose(): Promise<void>;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test needs root: it mounts overlayfs and makes device nodes');
}

export async function makeEnv(prefix = 'berth-images-'): Promise<Env> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const db = openMetadataDb(metadataDbPath(root));
  const content = new LocalContentStore(contentRoot(root));
  const snapshotter = new OverlaySnapshotter({ root, db, migrate });
  return {
    root,
    db,
    content,
    snapshotter,
    dispose: async () => {
      db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface BuiltImage {
  manifest: { schemaVersion: 2; mediaType: string; config: { mediaType: string; digest: Digest; size: number }; layers: { mediaType: string; digest: Digest; size: number }[] };
  manifestDigest: Digest;
  /** The manifest's descriptor (what an image record points at). */
  target: { mediaType: string; digest: Digest; size: number };
  diffIDs: Digest[];
}

/** Stores `tars` (uncompressed layer tars) gzipped, with a config and an OCI manifest. */
export async function storeImage(content: LocalContentStore, tars: readonly Buffer[], options: { gzip?: boolean } = {}): Promise<BuiltImage> {
  const gzip = options.gzip ?? true;
  const layers = [];
  const diffIDs: Digest[] = [];
  for (const t of tars) {
    const blob = gzip ? gzipSync(t, { level: 1 }) : t;
    const { digest, size } = await writeBlob(content, blob);
    layers.push({ mediaType: gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest, size });
    diffIDs.push(sha256(t));
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIDs },
      history: tars.map(() => ({ created_by: 'test' })),
    }),
  );
  const c = await writeBlob(content, config);
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c.digest, size: c.size },
    layers,
  };
  const m = await writeBlob(content, JSON.stringify(manifest));
  return { manifest, manifestDigest: m.digest, target: { mediaType: manifest.mediaType, digest: m.digest, size: m.size }, diffIDs };
}

/** A comparable description of every path under `dir` (type, mode, owner, content / target). */
export function treeOf(dir: string, options: { mtimes?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const p = rel ? join(dir, rel) : dir;
    for (const name of readdirSync(p).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const full = join(dir, r);
      const st = lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      const own = `${st.uid}:${st.gid}`;
      const mt = options.mtimes && !st.isDirectory() ? ` @${Math.floor(st.mtimeMs / 1000)}` : '';
      if (st.isDirectory()) {
        out[r] = `dir ${mode} ${own}${isOpaqueDir(full) ? ' opaque' : ''}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `symlink -> ${readlinkSync(full)} ${own}`;
      else if (st.isFile()) out[r] = `file ${mode} ${own} ${JSON.stringify(readFileSync(full, 'utf8').slice(0, 64))} ${st.size}${mt}`;
      else if (isOverlayWhiteout(st)) out[r] = 'whiteout';
      else if (st.isCharacterDevice()) out[r] = `chardev ${st.rdev} ${mode}`;
      else if (st.isBlockDevice()) out[r] = `blockdev ${st.rdev} ${mode}`;
      else if (st.isFIFO()) out[r] = `fifo ${mode}`;
      else out[r] = 'other';
    }
  };
  walk('');
  return out;
}

export function mountpoint(root: string, name: string): string {
  return join(root, `mnt-${name}`);
}
