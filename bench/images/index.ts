// Image storage throughput: unpack of a ~200 MiB 4-layer image from the content store into
// overlay snapshots, save and load of archives; next to umoci unpack and skopeo copy on the
// same image where they are installed. Figures are MiB/s of uncompressed layer data for unpack,
// MiB/s of archive bytes for save/load/copy.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LocalContentStore, contentRoot, writeBlob } from '../../src/content/index.ts';
import { openMetadataDb, metadataDbPath, migrate } from '../../src/metadata/index.ts';
import { OverlaySnapshotter, buildTar, unpackImage, type TarEntry } from '../../src/snapshots/index.ts';
import { loadArchiveFile, saveArchiveToFile, saveOciLayoutDir } from '../../src/images/index.ts';
import { sha256, type Digest } from '../../src/lib/index.ts';

const MiB = 1024 * 1024;
const LAYERS = 4;
const LAYER_BYTES = 50 * MiB;
const RUNS = 3;

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function time<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

function dropCaches(): void {
  try {
    execFileSync('sync');
  } catch {
    // best effort
  }
}

/** A layer of files of mixed content (half random, half repetitive), so gzip does real work. */
async function makeLayer(i: number): Promise<Buffer> {
  const entries: TarEntry[] = [{ name: `layer${i}/`, type: 'directory' }];
  let total = 0;
  let n = 0;
  while (total < LAYER_BYTES) {
    const size = [4096, 65536, 262144, 1048576][n % 4]!;
    const data = Buffer.alloc(size, n % 251);
    randomFillSync(data, 0, size >> 1);
    entries.push({ name: `layer${i}/d${n % 16}/f${n}`, data });
    total += size;
    n++;
  }
  return buildTar(entries);
}

const root = mkdtempSync(join(tmpdir(), 'berth-bench-images-'));
const rows: [string, string, string][] = [];
try {
  const db = openMetadataDb(metadataDbPath(root));
  const content = new LocalContentStore(contentRoot(root));
  const snapshotter = new OverlaySnapshotter({ root, db, migrate });
  const layers = [];
  const diffIDs: Digest[] = [];
  let uncompressed = 0;
  for (let i = 0; i < LAYERS; i++) {
    const tar = await makeLayer(i);
    uncompressed += tar.length;
    diffIDs.push(sha256(tar));
    const gz = gzipSync(tar, { level: 1 });
    const w = await writeBlob(content, gz);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: w.digest, size: w.size });
  }
  const cfg = await writeBlob(content, JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIDs }, history: layers.map(() => ({})) }));
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg.digest, size: cfg.size }, layers };
  const m = await writeBlob(content, JSON.stringify(manifest));
  const target = { mediaType: manifest.mediaType, digest: m.digest, size: m.size };
  const mib = uncompressed / MiB;
  const compressed = layers.reduce((a, l) => a + l.size, 0) / MiB;
  console.log(`image: ${LAYERS} layers, ${mib.toFixed(0)} MiB uncompressed, ${compressed.toFixed(0)} MiB gzip`);

  // best of RUNS for Berth and for the peer alike: this machine is shared and noisy
  let tUnpack = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const runRoot = join(root, `unpack-${r}`);
    const runDb = openMetadataDb(metadataDbPath(runRoot));
    const sn = r === 0 ? snapshotter : new OverlaySnapshotter({ root: runRoot, db: runDb, migrate });
    dropCaches();
    const [, s] = await timeAsync(() => unpackImage(content, manifest, sn));
    tUnpack = Math.min(tUnpack, s);
    runDb.close();
    rmSync(runRoot, { recursive: true, force: true });
  }
  rows.push(['unpack (content store → snapshots)', `berth ${(mib / tUnpack).toFixed(0)} MiB/s (${tUnpack.toFixed(2)} s)`, '']);

  const layout = join(root, 'layout');
  const [, tLayout] = await timeAsync(() => saveOciLayoutDir(content, [{ target, names: ['bench:1'] }], layout));
  if (has('umoci')) {
    let tUmoci = Infinity;
    for (let r = 0; r < RUNS; r++) {
      dropCaches();
      const bundle = join(root, `bundle-${r}`);
      const [, s] = time(() => execFileSync('umoci', ['unpack', '--image', `${layout}:1`, bundle], { stdio: 'ignore' }));
      tUmoci = Math.min(tUmoci, s);
      rmSync(bundle, { recursive: true, force: true });
    }
    rows[0]![2] = `umoci unpack ${(mib / tUmoci).toFixed(0)} MiB/s (${tUmoci.toFixed(2)} s)`;
  } else rows[0]![2] = 'umoci: not installed';

  const archive = join(root, 'save.tar');
  const [, tSave] = await timeAsync(() => saveArchiveToFile(content, [{ target, names: ['bench:1'] }], archive));
  const archMiB = statSync(archive).size / MiB;
  rows.push(['save (docker archive)', `berth ${(archMiB / tSave).toFixed(0)} MiB/s (${tSave.toFixed(2)} s)`, `OCI layout dir: berth ${(archMiB / tLayout).toFixed(0)} MiB/s`]);

  const root2 = join(root, 'load');
  const content2 = new LocalContentStore(contentRoot(root2));
  const [, tLoad] = await timeAsync(() => loadArchiveFile(content2, archive));
  let peer = 'skopeo: not installed';
  if (has('skopeo')) {
    const [, tCopy] = time(() => execFileSync('skopeo', ['copy', '-q', `docker-archive:${archive}`, `oci:${join(root, 'skopeo-layout')}:bench`], { stdio: 'ignore' }));
    peer = `skopeo copy docker-archive → oci ${(archMiB / tCopy).toFixed(0)} MiB/s (${tCopy.toFixed(2)} s)`;
  }
  rows.push(['load (docker archive → content store)', `berth ${(archMiB / tLoad).toFixed(0)} MiB/s (${tLoad.toFixed(2)} s)`, peer]);
  db.close();
} finally {
  // snapshots hold overlay whiteouts and such: plain rm is enough, nothing is mounted
  rmSync(root, { recursive: true, force: true });
}
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
