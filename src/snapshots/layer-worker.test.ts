import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { isInvalidArgument, sha256 } from '../lib/index.ts';
import type { BlobReaderAt } from './decompress.ts';
import { layerWorkerThread, openLayerJob } from './layer-worker.ts';
import { buildTar } from './tar-builder.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-layer-worker-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A reader over a file, with its descriptor exposed as the content store's readers do. */
async function fileReader(path: string): Promise<BlobReaderAt & { closed: () => boolean }> {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  let closed = false;
  return {
    size,
    fd: fh.fd,
    readAt: async (buffer, position) => (await fh.read(buffer, 0, Math.min(buffer.length, size - position), position)).bytesRead,
    close: async () => {
      closed = true;
      await fh.close();
    },
    closed: () => closed,
  };
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('a layer opened from a file is extracted on the worker thread with its diffID, and the descriptor is released', async (t) => {
  const dir = tempDir(t);
  const tar = await buildTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/hostname', data: 'layer-worker\n' },
    { name: 'big.bin', data: randomBytes(5 * 1024 * 1024) }, // does not compress: the blob is big enough for the worker
  ]);
  const blob = join(dir, 'blob');
  writeFileSync(blob, gzipSync(tar));
  const target = join(dir, 'rootfs');
  let before = 0;
  for (const round of [1, 2]) {
    // the first round starts the worker (which opens descriptors of its own): count from the second
    if (round === 2) before = openFds();
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target);
    const reader = await fileReader(blob);
    const job = await openLayerJob(reader, { knownDigest: sha256(gzipSync(tar)) });
    assert.ok(reader.closed(), 'the main thread closes its descriptor once the worker has its own');
    const r = await job.apply(target, { whiteouts: 'flat' });
    assert.notEqual(layerWorkerThread(), undefined, 'the worker thread ran it');
    assert.equal(r.diffID, sha256(tar));
    assert.equal(r.compression, 'gzip');
    assert.equal(readFileSync(join(target, 'etc/hostname'), 'utf8'), 'layer-worker\n');
    assert.equal(readFileSync(join(target, 'big.bin')).length, 5 * 1024 * 1024);
  }
  for (let i = 0; i < 50 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(openFds(), before, 'no descriptor is left open');
});

test('errors from the worker keep their code and message; a dropped or canceled job writes nothing', async (t) => {
  const dir = tempDir(t);
  // a hostile entry: refused with invalid-argument, as on the main thread
  const evil = join(dir, 'evil');
  writeFileSync(evil, gzipSync(await buildTar([{ name: '../escape', data: 'x' }, { name: 'pad', data: randomBytes(5 << 20) }])));
  const out = join(dir, 'out');
  mkdirSync(out);
  const job = await openLayerJob(await fileReader(evil));
  await assert.rejects(job.apply(out, { whiteouts: 'flat' }), (err: unknown) => isInvalidArgument(err) && /path escapes the layer root/.test((err as Error).message));

  // truncated gzip: the decompression error reaches the caller
  const bad = join(dir, 'bad');
  const good = gzipSync(await buildTar([{ name: 'f', data: randomBytes(10 << 20) }]));
  writeFileSync(bad, good.subarray(0, good.length >> 1));
  const broken = await openLayerJob(await fileReader(bad));
  await assert.rejects(broken.apply(join(dir, 'out'), { whiteouts: 'flat' }), /unexpected end of file|apply layer/);

  // opened then dropped: nothing written, nothing left open
  const before = openFds();
  const ok = join(dir, 'ok');
  writeFileSync(ok, good);
  const dropped = await openLayerJob(await fileReader(ok), { aheadBytes: 8 << 20 });
  dropped.close();
  await assert.rejects(dropped.apply(out), /applied twice/);

  // canceled while applying: rejects, and the signal's abort reaches the worker
  const target = join(dir, 'canceled');
  mkdirSync(target);
  const big = join(dir, 'big');
  writeFileSync(big, gzipSync(await buildTar(Array.from({ length: 16 }, (_, i) => ({ name: `f${i}`, data: randomBytes(1 << 20) })))));
  const ac = new AbortController();
  const running = (await openLayerJob(await fileReader(big))).apply(target, { whiteouts: 'flat', signal: ac.signal });
  ac.abort();
  await assert.rejects(running, /cancel|abort/i);
  // the worker closes its own descriptors once the jobs are gone
  for (let i = 0; i < 50 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(openFds(), before);
});
