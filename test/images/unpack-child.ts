// Child process for unpack-crash.test.ts: unpacks the image whose manifest digest is argv[3]
// from the data root argv[2], printing "started" once the first layer is being written.
import { readFileSync } from 'node:fs';
import { LocalContentStore, contentRoot } from '../../src/content/index.ts';
import { openMetadataDb, metadataDbPath, migrate } from '../../src/metadata/index.ts';
import { OverlaySnapshotter, unpackImage, type UnpackManifest } from '../../src/snapshots/index.ts';
import type { Digest } from '../../src/lib/index.ts';

const [root, manifestDigest] = process.argv.slice(2) as [string, Digest];
const db = openMetadataDb(metadataDbPath(root));
const content = new LocalContentStore(contentRoot(root));
const snapshotter = new OverlaySnapshotter({ root, db, migrate });
const manifest = JSON.parse(readFileSync(content.blobPath(manifestDigest), 'utf8')) as UnpackManifest;
process.stdout.write('started\n');
const result = await unpackImage(content, manifest, snapshotter);
process.stdout.write(`done ${result.top}\n`);
db.close();
