import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, nullLogger } from '../../src/lib/index.ts';
import { LocalContentStore, contentRoot } from '../../src/content/index.ts';
import { openMetadataDb, metadataDbPath, migrate, type MetadataDb } from '../../src/metadata/index.ts';
import { OverlaySnapshotter } from '../../src/snapshots/index.ts';
import { ImageService, ImageStore, importRootfs } from '../../src/images/index.ts';
import { Runtime } from '../../src/runtime/index.ts';
import { BuildCache, Builder, type BuildEvent } from '../../src/builder/index.ts';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';

export interface BuildEnv {
  root: string;
  db: MetadataDb;
  content: LocalContentStore;
  snapshotter: OverlaySnapshotter;
  images: ImageService;
  imageStore: ImageStore;
  runtime: Runtime;
  builder: Builder;
  cache: BuildCache;
  dispose(): Promise<void>;
}

/** A full build stack on its own roots, with busybox:latest imported from busybox-static. */
export async function makeBuildEnv(): Promise<BuildEnv> {
  if (process.getuid?.() !== 0) throw new Error('builder tests need root: builds run real containers on overlayfs');
  if (!existsSync(binPath('berth-shim'))) throw new Error('bin/berth-shim is missing: run `npm run build` first');
  const root = await mkdtemp(join(tmpdir(), 'berth-build-'));
  const db = openMetadataDb(metadataDbPath(root));
  const content = new LocalContentStore(contentRoot(root));
  const snapshotter = new OverlaySnapshotter({ root, db, migrate });
  const imageStore = new ImageStore(db);
  const images = new ImageService({ images: imageStore, content });
  const runtime = new Runtime({ root: join(root, 'runtime') });
  const cache = new BuildCache(db);
  const workDir = join(root, 'build');
  mkdirSync(workDir, { recursive: true });
  const builder = new Builder({ content, snapshotter, images, imageStore, runtime, cache, workDir, logger: nullLogger });

  const rootfs = makeBusyboxRootfs(join(root, 'busybox-rootfs'));
  const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await importRootfs(content, tar.stdout, { name: 'busybox:latest', images: imageStore, config: { Cmd: ['sh'] } });
  return {
    root, db, content, snapshotter, images, imageStore, runtime, builder, cache,
    async dispose() {
      db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Collects a build's stream output as text. */
export function collect(): { emit: (e: BuildEvent) => void; text: () => string } {
  let out = '';
  return {
    emit: (e) => {
      if ('stream' in e) out += e.stream;
    },
    text: () => out,
  };
}
