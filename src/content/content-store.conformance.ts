import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode, isAlreadyExists, isFailedPrecondition, isNotFound, sha256, type Digest } from '../lib/index.ts';
import type { ContentStore, Info } from './types.ts';
import { writeBlob, writeStream } from './write-blob.ts';

/** What a conformance run needs from an implementation. */
export interface ContentStoreFixture {
  store: ContentStore;
  /** A fresh store over the same storage (a daemon restart). */
  reopen(): ContentStore | Promise<ContentStore>;
}

export type ContentStoreFactory = (t: TestContext) => Promise<ContentStoreFixture>;

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function sha512(b: Uint8Array): Digest {
  return `sha512:${createHash('sha512').update(b).digest('hex')}`;
}

/**
 * The behaviour every ContentStore must have, as node:test cases. Run it from a *.test.ts file
 * with the implementation's factory: `contentStoreConformance('LocalContentStore', factory)`.
 */
export function contentStoreConformance(name: string, factory: ContentStoreFactory): void {
  const it = (title: string, fn: (t: TestContext, f: ContentStoreFixture) => Promise<void>) =>
    test(`${name} conformance: ${title}`, async (t) => fn(t, await factory(t)));

  it('writeBlob commits a blob readable by info, readBlob, readerAt and ranged streams', async (_t, { store }) => {
    const data = randomBytes(100_000);
    const desc = await writeBlob(store, data);
    assert.deepEqual(desc, { digest: sha256(data), size: data.length });
    assert.equal(await store.exists(desc.digest), true);
    const info = await store.info(desc.digest);
    assert.equal(info.size, data.length);
    assert.deepEqual(info.labels, {});
    assert.ok(info.createdAt instanceof Date);
    assert.deepEqual(await store.readBlob(desc), data);
    const ra = await store.readerAt(desc);
    assert.equal(ra.size, data.length);
    const buf = Buffer.alloc(10);
    assert.equal(await ra.readAt(buf, 500), 10);
    assert.deepEqual(buf, data.subarray(500, 510));
    assert.equal(await ra.readAt(buf, data.length - 3), 3);
    assert.equal(await ra.readAt(buf, data.length), 0);
    await ra.close();
    assert.deepEqual(await collect(await store.createReadStream(desc, { start: 10, end: 19 })), data.subarray(10, 20));
    assert.deepEqual(await collect(await store.createReadStream(desc, { start: 99_990 })), data.subarray(99_990));
    await assert.rejects(store.createReadStream(desc, { start: data.length }), (e) => errorCode(e) === 'invalid-argument');
    await assert.rejects(store.readBlob({ digest: desc.digest, size: 5 }), (e) => isFailedPrecondition(e));
  });

  it('an empty blob is stored and read back', async (_t, { store }) => {
    const desc = await writeBlob(store, new Uint8Array(0));
    assert.equal(desc.size, 0);
    assert.equal((await store.readBlob(desc)).length, 0);
    assert.equal((await collect(await store.createReadStream(desc))).length, 0);
  });

  it('a partial ingest is never served and shows its progress in status', async (_t, { store }) => {
    const data = randomBytes(4096);
    const digest = sha256(data);
    const w = await store.writer('partial-1', { expected: { digest, size: data.length } });
    await w.write(data.subarray(0, 1000));
    assert.equal(w.offset, 1000);
    assert.equal(await store.exists(digest), false);
    await assert.rejects(store.info(digest), (e) => isNotFound(e));
    await assert.rejects(store.readBlob({ digest }), (e) => isNotFound(e));
    await assert.rejects(store.createReadStream({ digest }), (e) => isNotFound(e));
    const st = await store.status('partial-1');
    assert.equal(st.ref, 'partial-1');
    assert.equal(st.offset, 1000);
    assert.equal(st.total, data.length);
    assert.equal(st.expected, digest);
    assert.equal(store.isIngestActive('partial-1'), true);
    let walked = 0;
    await store.walk(() => {
      walked++;
    });
    assert.equal(walked, 0);
    await w.write(data.subarray(1000));
    assert.equal(w.digest(), digest);
    assert.equal(await w.commit(data.length, digest), digest);
    assert.equal(store.isIngestActive('partial-1'), false);
    await assert.rejects(store.status('partial-1'), (e) => isNotFound(e));
    assert.deepEqual(await store.readBlob({ digest }), data);
  });

  it('commit refuses a wrong size or digest and the blob stays invisible', async (_t, { store }) => {
    const data = Buffer.from('hello world');
    const w = await store.writer('mismatch');
    await w.write(data);
    await assert.rejects(w.commit(data.length + 1), (e) => isFailedPrecondition(e) && /unexpected size 11, expected 12/.test((e as Error).message));
    const wrong = sha256('other');
    await assert.rejects(w.commit(data.length, wrong), (e) => isFailedPrecondition(e) && /unexpected digest/.test((e as Error).message));
    assert.equal(await store.exists(sha256(data)), false);
    assert.equal(await store.exists(wrong), false);
    await w.close();
    await store.abort('mismatch');
    await assert.rejects(writeBlob(store, data, { expected: { digest: wrong, size: data.length } }), (e) => isFailedPrecondition(e));
    assert.equal(await store.exists(wrong), false);
    await assert.rejects(store.status(`write-blob-${wrong}`), (e) => isNotFound(e), 'a mismatched ingest is discarded');
  });

  it('a write beyond the expected size is refused', async (_t, { store }) => {
    const w = await store.writer('too-big', { expected: { digest: sha256('abc'), size: 3 } });
    await assert.rejects(w.write(Buffer.from('abcd')), (e) => isFailedPrecondition(e));
    await w.close();
    await store.abort('too-big');
  });

  it('writer for an already committed digest fails with already-exists; writeBlob treats it as success', async (_t, { store }) => {
    const desc = await writeBlob(store, 'same');
    await assert.rejects(store.writer('again', { expected: desc }), (e) => isAlreadyExists(e));
    assert.deepEqual(await writeBlob(store, 'same', { ref: 'other-ref' }), desc);
  });

  it('a second writer of the same ref is refused while the first holds it', async (_t, { store }) => {
    const w = await store.writer('locked-ref');
    await assert.rejects(store.writer('locked-ref'), (e) => errorCode(e) === 'unavailable');
    await assert.rejects(store.abort('locked-ref'), (e) => errorCode(e) === 'unavailable');
    await w.close();
    const w2 = await store.writer('locked-ref');
    await w2.close();
    await store.abort('locked-ref');
    await assert.rejects(store.abort('locked-ref'), (e) => isNotFound(e));
  });

  it('concurrent ingests of one ref and of one digest coalesce into one blob', async (_t, { store }) => {
    const data = randomBytes(256 * 1024);
    const digest = sha256(data);
    const chunks = Array.from({ length: 16 }, (_, i) => data.subarray(i * 16384, (i + 1) * 16384));
    async function* slow() {
      for (const c of chunks) {
        await sleep(1);
        yield c;
      }
    }
    const expected = { digest, size: data.length };
    const results = await Promise.all([
      writeStream(store, 'same-ref', slow(), { expected }),
      writeStream(store, 'same-ref', slow(), { expected }),
      writeStream(store, 'other-ref-a', slow(), { expected }),
      writeStream(store, 'other-ref-b', slow(), { expected }),
      writeBlob(store, data),
    ]);
    for (const r of results) assert.deepEqual(r, expected);
    assert.deepEqual(await store.readBlob(expected), data);
    const blobs: Info[] = [];
    await store.walk((i) => {
      blobs.push(i);
    });
    assert.deepEqual(blobs.map((b) => b.digest), [digest]);
    assert.deepEqual(await store.listStatuses(), [], 'no ingest left behind');
  });

  it('two writers of one digest under different refs: the second commit gets already-exists', async (_t, { store }) => {
    const data = Buffer.from('twice');
    const a = await store.writer('ref-a');
    const b = await store.writer('ref-b');
    await a.write(data);
    await b.write(data);
    await a.commit(data.length, sha256(data));
    await assert.rejects(b.commit(data.length, sha256(data)), (e) => isAlreadyExists(e));
    await b.close();
    await assert.rejects(store.status('ref-b'), (e) => isNotFound(e));
  });

  it('an ingest resumes at its offset after the store is reopened', async (_t, { store, reopen }) => {
    const data = randomBytes(300_000);
    const digest = sha256(data);
    const w = await store.writer('resume-me', { expected: { digest, size: data.length } });
    await w.write(data.subarray(0, 123_456));
    await w.close();
    const again = await reopen();
    assert.equal((await again.status('resume-me')).offset, 123_456);
    const w2 = await again.writer('resume-me', { expected: { digest, size: data.length } });
    assert.equal(w2.offset, 123_456);
    await w2.write(data.subarray(123_456));
    assert.equal(await w2.commit(), digest);
    assert.deepEqual(await again.readBlob({ digest }), data);
  });

  it('writeStream resumes with a source that starts at the offset', async (_t, { store }) => {
    const data = randomBytes(50_000);
    const digest = sha256(data);
    const w = await store.writer('ranged', { expected: { digest, size: data.length } });
    await w.write(data.subarray(0, 20_000));
    await w.close();
    const asked: number[] = [];
    const desc = await writeStream(store, 'ranged', (offset) => {
      asked.push(offset);
      return [data.subarray(offset)];
    }, { expected: { digest, size: data.length } });
    assert.deepEqual(asked, [20_000]);
    assert.equal(desc.digest, digest);
    // A plain iterable is skipped up to the offset instead.
    const data2 = randomBytes(10_000);
    const w2 = await store.writer('skip', { expected: { digest: sha256(data2), size: data2.length } });
    await w2.write(data2.subarray(0, 3333));
    await w2.close();
    const chunks = [data2.subarray(0, 1000), data2.subarray(1000, 5000), data2.subarray(5000)];
    assert.equal((await writeStream(store, 'skip', chunks, { expected: { digest: sha256(data2), size: data2.length } })).digest, sha256(data2));
    assert.deepEqual(await store.readBlob({ digest: sha256(data2) }), data2);
  });

  it('truncate restarts an ingest', async (_t, { store }) => {
    const w = await store.writer('trunc');
    await w.write(Buffer.from('garbage'));
    await w.truncate(0);
    assert.equal(w.offset, 0);
    await w.write(Buffer.from('good'));
    assert.equal(await w.commit(4, sha256('good')), sha256('good'));
  });

  it('sha512 content is verified with its own algorithm', async (_t, { store }) => {
    const data = randomBytes(1000);
    const digest = sha512(data);
    const desc = await writeBlob(store, data, { expected: { digest, size: data.length } });
    assert.equal(desc.digest, digest);
    assert.deepEqual(await store.readBlob({ digest }), data);
  });

  it('labels are set at commit, updated by fieldpath or replaced, and removed with the blob', async (_t, { store }) => {
    const desc = await writeBlob(store, 'labelled', { labels: { 'containerd.io/gc.ref.content.config': sha256('x'), keep: '1' } });
    assert.deepEqual((await store.info(desc.digest)).labels, { 'containerd.io/gc.ref.content.config': sha256('x'), keep: '1' });
    let info = await store.update({ digest: desc.digest, labels: { 'berth.io/uncompressed': sha256('y') } }, ['labels.berth.io/uncompressed', 'labels.keep']);
    assert.deepEqual(info.labels, { 'containerd.io/gc.ref.content.config': sha256('x'), 'berth.io/uncompressed': sha256('y') });
    info = await store.update({ digest: desc.digest, labels: { only: 'me' } });
    assert.deepEqual(info.labels, { only: 'me' });
    await assert.rejects(store.update({ digest: desc.digest, labels: { big: 'x'.repeat(5000) } }), (e) => errorCode(e) === 'invalid-argument');
    await assert.rejects(store.update({ digest: sha256('absent'), labels: {} }), (e) => isNotFound(e));
    const seen: Record<string, string>[] = [];
    await store.walk((i) => {
      seen.push(i.labels);
    });
    assert.deepEqual(seen, [{ only: 'me' }]);
    await store.delete(desc.digest);
    await assert.rejects(store.delete(desc.digest), (e) => isNotFound(e));
    const again = await writeBlob(store, 'labelled');
    assert.deepEqual((await store.info(again.digest)).labels, {}, 'labels do not outlive their blob');
  });

  it('listStatuses filters by prefix; pruneIngests removes only stale idle ingests', async (_t, { store }) => {
    const a = await store.writer('pull-a');
    await a.write(Buffer.from('a'));
    await a.close();
    const b = await store.writer('pull-b');
    await b.write(Buffer.from('b'));
    const c = await store.writer('build-c');
    await c.close();
    assert.deepEqual((await store.listStatuses({ prefix: 'pull-' })).map((s) => s.ref).sort(), ['pull-a', 'pull-b']);
    assert.equal((await store.listStatuses()).length, 3);
    assert.deepEqual(await store.pruneIngests({ olderThan: new Date(Date.now() - 60_000) }), []);
    const removed = await store.pruneIngests({ olderThan: new Date(Date.now() + 60_000) });
    assert.deepEqual(removed.sort(), ['build-c', 'pull-a'], 'the active ingest is kept');
    assert.deepEqual((await store.listStatuses()).map((s) => s.ref), ['pull-b']);
    await b.write(Buffer.from('bb'));
    assert.equal(await b.commit(3, sha256('bbb')), sha256('bbb'));
  });

  it('walk lists every committed blob once with its size', async (_t, { store }) => {
    const ds = await Promise.all(['one', 'two', 'three'].map((s) => writeBlob(store, s)));
    const seen = new Map<string, number>();
    await store.walk((i) => {
      seen.set(i.digest, i.size);
    });
    assert.deepEqual(seen, new Map(ds.map((d) => [d.digest, d.size])));
  });
}
