// Content store throughput: ingest (verify + fsync + rename) and read of one large blob, and the
// rate of small blob writes, next to the machine's own floor: `cp` + `sha256sum` of the same file.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore, writeBlob, writeStream } from '../../src/content/index.ts';
import { sha256 } from '../../src/lib/index.ts';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_CONTENT_MIB ?? 256) * MiB;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-content-'));
  try {
    const small = new LocalContentStore(join(dir, 'small'));
    const blobs = Array.from({ length: 1000 }, () => randomBytes(4096));
    let t = performance.now();
    for (const b of blobs) await writeBlob(small, b);
    const smallMs = performance.now() - t;

    const data = randomBytes(size);
    const digest = sha256(data);
    const src = join(dir, 'source.bin');
    await writeFile(src, data);
    const chunks: Buffer[] = [];
    for (let off = 0; off < data.length; off += MiB) chunks.push(data.subarray(off, off + MiB));

    const ingest: number[] = [];
    const read: number[] = [];
    for (let i = 0; i < 3; i++) {
      const store = new LocalContentStore(join(dir, `store-${i}`));
      let t = performance.now();
      await writeStream(store, `bench-${i}`, chunks, { expected: { digest, size } });
      ingest.push(performance.now() - t);
      t = performance.now();
      let n = 0;
      for await (const c of await store.createReadStream({ digest, size }, {})) n += (c as Buffer).length;
      read.push(performance.now() - t);
      if (n !== size) throw new Error('short read');
      await rm(join(dir, `store-${i}`), { recursive: true, force: true });
    }

    const floor: number[] = [];
    const haveTools = spawnSync('sh', ['-c', 'command -v sha256sum && command -v cp && command -v sync'], { stdio: 'ignore' }).status === 0;
    if (haveTools) {
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const r = spawnSync('sh', ['-c', `cp "${src}" "${dir}/copy" && sync "${dir}/copy" && sha256sum "${dir}/copy" >/dev/null`]);
        floor.push(performance.now() - t);
        if (r.status !== 0) throw new Error(r.stderr.toString());
        await rm(join(dir, 'copy'), { force: true });
      }
    }

    const mibs = (ms: number) => ((size / MiB) / (ms / 1000)).toFixed(0);
    console.log(`content ingest ${size / MiB} MiB (digest verify + fsync + rename): ${mibs(median(ingest))} MiB/s`);
    console.log(`content read   ${size / MiB} MiB (createReadStream):               ${mibs(median(read))} MiB/s`);
    if (haveTools) console.log(`peer floor: cp + sync + sha256sum of the same file:          ${mibs(median(floor))} MiB/s`);
    else console.log('peer floor: cp/sha256sum not installed');
    console.log(`content small blobs: 1000 x 4 KiB writeBlob: ${(1000 / (smallMs / 1000)).toFixed(0)} blobs/s`);
    t = performance.now();
    let walked = 0;
    await small.walk(() => {
      walked++;
    });
    console.log(`content walk of ${walked} blobs: ${(performance.now() - t).toFixed(0)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
