// berth-registry against the OCI distribution spec, over real HTTP on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Htpasswd, htpasswdLine, garbageCollect } from '../../src/registry/server/index.ts';
import { sha, startRegistry, tempDir, type TestRegistry } from './helpers.ts';

let reg: TestRegistry;
before(async () => {
  reg = await startRegistry();
});
after(async () => {
  await reg.stop();
});

const u = (p: string) => `${reg.url}${p}`;

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { errors: Array<{ code: string }> };
  return body.errors[0]!.code;
}

async function pushBlob(name: string, data: Buffer): Promise<string> {
  const d = sha(data);
  const res = await fetch(u(`/v2/${name}/blobs/uploads/?digest=${d}`), { method: 'POST', body: data, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(res.status, 201);
  return d;
}

async function pushManifest(name: string, ref: string, m: object, mediaType = 'application/vnd.oci.image.manifest.v1+json'): Promise<Response> {
  return fetch(u(`/v2/${name}/manifests/${ref}`), { method: 'PUT', body: JSON.stringify(m), headers: { 'content-type': mediaType } });
}

async function simpleImage(name: string, tag: string, extra: object = {}): Promise<{ digest: string; body: string; config: string; layer: string }> {
  const config = await pushBlob(name, Buffer.from('{"os":"linux"}'));
  const layer = await pushBlob(name, randomBytes(100));
  const m = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 14 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 100 }], ...extra };
  const res = await pushManifest(name, tag, m);
  assert.equal(res.status, 201, await res.text());
  return { digest: res.headers.get('docker-content-digest')!, body: JSON.stringify(m), config, layer };
}

test('GET /v2/ answers 200 with the API version header', async () => {
  const res = await fetch(u('/v2/'));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.equal((await fetch(u('/v3/'))).status, 404);
});

test('monolithic POST ?digest= stores a blob; GET, HEAD and Range serve it', async () => {
  const data = randomBytes(5000);
  const d = await pushBlob('conf/mono', data);
  const head = await fetch(u(`/v2/conf/mono/blobs/${d}`), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '5000');
  assert.equal(head.headers.get('docker-content-digest'), d);
  const get = await fetch(u(`/v2/conf/mono/blobs/${d}`));
  assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
  const part = await fetch(u(`/v2/conf/mono/blobs/${d}`), { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), 'bytes 100-199/5000');
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(100, 200));
  const tail = await fetch(u(`/v2/conf/mono/blobs/${d}`), { headers: { range: 'bytes=4990-' } });
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), data.subarray(4990));
  const bad = await fetch(u(`/v2/conf/mono/blobs/${d}`), { headers: { range: 'bytes=6000-7000' } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), 'bytes */5000');
  await bad.arrayBuffer();
});

test('blob GET of an unknown digest is 404 BLOB_UNKNOWN; a malformed digest is DIGEST_INVALID', async () => {
  const res = await fetch(u(`/v2/conf/mono/blobs/${sha('nothing')}`));
  assert.equal(res.status, 404);
  assert.equal(await errorCode(res), 'BLOB_UNKNOWN');
  const bad = await fetch(u('/v2/conf/mono/blobs/sha256:xyz'));
  assert.equal(bad.status, 400);
  assert.equal(await errorCode(bad), 'DIGEST_INVALID');
});

test('a blob is not visible through a repository it was never linked to', async () => {
  const d = await pushBlob('conf/linked-a', randomBytes(10));
  assert.equal((await fetch(u(`/v2/conf/linked-b/blobs/${d}`), { method: 'HEAD' })).status, 404);
});

test('POST then PUT uploads a blob; the Location and Docker-Upload-UUID headers are set', async () => {
  const start = await fetch(u('/v2/conf/postput/blobs/uploads/'), { method: 'POST' });
  assert.equal(start.status, 202);
  const loc = start.headers.get('location')!;
  assert.match(loc, /^\/v2\/conf\/postput\/blobs\/uploads\/[0-9a-f-]+$/);
  assert.ok(start.headers.get('docker-upload-uuid'));
  assert.equal(start.headers.get('blob-upload-session-id'), start.headers.get('docker-upload-uuid'));
  assert.equal(start.headers.get('range'), '0-0');
  const data = randomBytes(3000);
  const put = await fetch(u(`${loc}?digest=${sha(data)}`), { method: 'PUT', body: data });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('location'), `/v2/conf/postput/blobs/${sha(data)}`);
  assert.equal(put.headers.get('docker-content-digest'), sha(data));
  assert.equal((await fetch(u(`/v2/conf/postput/blobs/${sha(data)}`), { method: 'HEAD' })).status, 200);
});

test('chunked PATCH uploads in order, 416 on an out-of-order chunk, status GET reports the range', async () => {
  const data = randomBytes(10_000);
  const start = await fetch(u('/v2/conf/chunked/blobs/uploads/'), { method: 'POST', headers: { 'content-length': '0' } });
  let loc = start.headers.get('location')!;
  const p1 = await fetch(u(loc), { method: 'PATCH', body: data.subarray(0, 4000), headers: { 'content-range': '0-3999', 'content-type': 'application/octet-stream' } });
  assert.equal(p1.status, 202);
  assert.equal(p1.headers.get('range'), '0-3999');
  loc = p1.headers.get('location')!;
  const wrong = await fetch(u(loc), { method: 'PATCH', body: data.subarray(5000, 6000), headers: { 'content-range': '5000-5999' } });
  assert.equal(wrong.status, 416);
  assert.equal(wrong.headers.get('range'), '0-3999');
  assert.equal(wrong.headers.get('location'), loc);
  await wrong.arrayBuffer();
  const malformed = await fetch(u(loc), { method: 'PATCH', body: data.subarray(4000, 5000), headers: { 'content-range': 'garbage' } });
  assert.equal(malformed.status, 416);
  await malformed.arrayBuffer();
  const status = await fetch(u(loc));
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), '0-3999');
  assert.equal(status.headers.get('location'), loc);
  const p2 = await fetch(u(loc), { method: 'PATCH', body: data.subarray(4000, 8000), headers: { 'content-range': '4000-7999' } });
  assert.equal(p2.status, 202);
  // the last chunk comes with the closing PUT
  const put = await fetch(u(`${p2.headers.get('location')!}?digest=${sha(data)}`), { method: 'PUT', body: data.subarray(8000), headers: { 'content-range': '8000-9999' } });
  assert.equal(put.status, 201, await put.text());
  const got = await fetch(u(`/v2/conf/chunked/blobs/${sha(data)}`));
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
});

test('a PATCH without Content-Range (streamed) appends, and a zero-length PUT completes', async () => {
  const data = randomBytes(2048);
  const loc = (await fetch(u('/v2/conf/stream/blobs/uploads/'), { method: 'POST' })).headers.get('location')!;
  const p = await fetch(u(loc), { method: 'PATCH', body: data });
  assert.equal(p.status, 202);
  const put = await fetch(u(`${loc}?digest=${sha(data)}`), { method: 'PUT' });
  assert.equal(put.status, 201);
});

test('an upload whose digest does not match is refused with DIGEST_INVALID and nothing becomes visible', async () => {
  const data = randomBytes(500);
  const wrongDigest = sha('something else');
  const res = await fetch(u(`/v2/conf/bad/blobs/uploads/?digest=${wrongDigest}`), { method: 'POST', body: data });
  assert.equal(res.status, 400);
  assert.equal(await errorCode(res), 'DIGEST_INVALID');
  assert.equal((await fetch(u(`/v2/conf/bad/blobs/${wrongDigest}`), { method: 'HEAD' })).status, 404);
  assert.equal((await fetch(u(`/v2/conf/bad/blobs/${sha(data)}`), { method: 'HEAD' })).status, 404);
  assert.equal(await reg.storage.blobs.size(sha(data)), undefined);
  const noDigest = await fetch(u(`${(await fetch(u('/v2/conf/bad/blobs/uploads/'), { method: 'POST' })).headers.get('location')!}`), { method: 'PUT', body: data });
  assert.equal(noDigest.status, 400);
  assert.equal(await errorCode(noDigest), 'DIGEST_INVALID');
});

test('cancel DELETE ends an upload; later requests get BLOB_UPLOAD_UNKNOWN', async () => {
  const loc = (await fetch(u('/v2/conf/cancel/blobs/uploads/'), { method: 'POST' })).headers.get('location')!;
  assert.equal((await fetch(u(loc), { method: 'DELETE' })).status, 204);
  const res = await fetch(u(loc));
  assert.equal(res.status, 404);
  assert.equal(await errorCode(res), 'BLOB_UPLOAD_UNKNOWN');
  const res2 = await fetch(u('/v2/conf/cancel/blobs/uploads/not-an-upload-id'), { method: 'PATCH', body: 'x' });
  assert.equal(res2.status, 404);
  assert.equal(await errorCode(res2), 'BLOB_UPLOAD_UNKNOWN');
});

test('an upload survives a server restart over the same root', async () => {
  const r1 = await startRegistry({ root: tempDir('restart').path });
  const data = randomBytes(6000);
  const loc = (await fetch(`${r1.url}/v2/re/start/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
  await fetch(`${r1.url}${loc}`, { method: 'PATCH', body: data.subarray(0, 3000), headers: { 'content-range': '0-2999' } });
  await r1.server.close();
  const r2 = await startRegistry({ root: r1.root });
  try {
    const st = await fetch(`${r2.url}${loc}`);
    assert.equal(st.headers.get('range'), '0-2999');
    const put = await fetch(`${r2.url}${loc}?digest=${sha(data)}`, { method: 'PUT', body: data.subarray(3000), headers: { 'content-range': '3000-5999' } });
    assert.equal(put.status, 201, await put.text());
    const got = await fetch(`${r2.url}/v2/re/start/blobs/${sha(data)}`);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
  } finally {
    await r2.server.close();
    tempDir; // root removed below
    (await import('node:fs')).rmSync(r1.root, { recursive: true, force: true });
  }
});

test('cross-repository mount answers 201, or 202 with an upload when the source lacks the blob', async () => {
  const d = await pushBlob('conf/mount-src', randomBytes(700));
  const ok = await fetch(u(`/v2/conf/mount-dst/blobs/uploads/?mount=${d}&from=conf/mount-src`), { method: 'POST' });
  assert.equal(ok.status, 201);
  assert.equal(ok.headers.get('location'), `/v2/conf/mount-dst/blobs/${d}`);
  assert.equal(ok.headers.get('docker-content-digest'), d);
  assert.equal((await fetch(u(`/v2/conf/mount-dst/blobs/${d}`), { method: 'HEAD' })).status, 200);
  const fallback = await fetch(u(`/v2/conf/mount-dst2/blobs/uploads/?mount=${sha('absent')}&from=conf/mount-src`), { method: 'POST' });
  assert.equal(fallback.status, 202);
  assert.match(fallback.headers.get('location')!, /\/blobs\/uploads\//);
  // every repository shares one copy of the data
  const { readdirSync } = await import('node:fs');
  const hex = d.slice(7);
  assert.deepEqual(readdirSync(join(reg.root, 'v2/blobs/sha256', hex.slice(0, 2))).filter((x) => x === hex), [hex]);
});

test('manifest PUT/GET/HEAD by tag and digest echo the Content-Type and Docker-Content-Digest', async () => {
  const img = await simpleImage('conf/manifests', 'v1');
  assert.equal(img.digest, sha(img.body));
  for (const ref of ['v1', img.digest]) {
    const get = await fetch(u(`/v2/conf/manifests/manifests/${ref}`), { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(get.headers.get('docker-content-digest'), img.digest);
    assert.equal(await get.text(), img.body);
    const head = await fetch(u(`/v2/conf/manifests/manifests/${ref}`), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(img.body.length));
  }
  const docker = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: img.config, size: 14 }, layers: [] };
  const put = await pushManifest('conf/manifests', 'docker', docker, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(put.status, 201);
  assert.equal((await fetch(u('/v2/conf/manifests/manifests/docker'))).headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v2+json');
});

test('manifest errors: unknown tag, unknown blobs, digest mismatch, invalid JSON, bad name', async () => {
  const unknown = await fetch(u('/v2/conf/manifests/manifests/nope'));
  assert.equal(unknown.status, 404);
  assert.equal(await errorCode(unknown), 'MANIFEST_UNKNOWN');
  const missing = await pushManifest('conf/errors', 'v1', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('no config'), size: 9 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha('no layer'), size: 8 }] });
  assert.equal(missing.status, 400);
  const body = (await missing.json()) as { errors: Array<{ code: string; detail: { digest: string } }> };
  assert.deepEqual(body.errors.map((e) => e.code), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN']);
  assert.equal(body.errors[1]!.detail.digest, sha('no layer'));
  const img = await simpleImage('conf/errors', 'ok');
  const mismatch = await fetch(u(`/v2/conf/errors/manifests/${sha('other')}`), { method: 'PUT', body: img.body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(mismatch.status, 400);
  assert.equal(await errorCode(mismatch), 'DIGEST_INVALID');
  const invalid = await fetch(u('/v2/conf/errors/manifests/bad'), { method: 'PUT', body: '{not json', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(await errorCode(invalid), 'MANIFEST_INVALID');
  const name = await fetch(u('/v2/Bad_Name/manifests/latest'));
  assert.equal(name.status, 400);
  assert.equal(await errorCode(name), 'NAME_INVALID');
  const big = await fetch(u('/v2/conf/errors/manifests/big'), { method: 'PUT', body: Buffer.alloc(5 * 1024 * 1024, 32), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(big.status, 413);
  await big.arrayBuffer();
});

test('an index is accepted only when its manifests exist in the repository', async () => {
  const img = await simpleImage('conf/index', 'amd64');
  const index = (d: string) => ({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: img.body.length, platform: { os: 'linux', architecture: 'amd64' } }] });
  const ok = await pushManifest('conf/index', 'multi', index(img.digest), 'application/vnd.oci.image.index.v1+json');
  assert.equal(ok.status, 201);
  const bad = await pushManifest('conf/index', 'broken', index(sha('missing manifest')), 'application/vnd.oci.image.index.v1+json');
  assert.equal(bad.status, 400);
  assert.equal(await errorCode(bad), 'MANIFEST_BLOB_UNKNOWN');
});

test('manifest DELETE by digest removes it and its tags; by tag removes only the tag', async () => {
  const a = await simpleImage('conf/delete', 'a');
  const putB = await fetch(u('/v2/conf/delete/manifests/b'), { method: 'PUT', body: a.body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(putB.status, 201);
  assert.equal((await fetch(u('/v2/conf/delete/manifests/b'), { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(u('/v2/conf/delete/manifests/b'))).status, 404);
  assert.equal((await fetch(u('/v2/conf/delete/manifests/a'))).status, 200);
  assert.equal((await fetch(u(`/v2/conf/delete/manifests/${a.digest}`), { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(u('/v2/conf/delete/manifests/a'))).status, 404);
  assert.equal((await fetch(u(`/v2/conf/delete/manifests/${a.digest}`))).status, 404);
  const again = await fetch(u(`/v2/conf/delete/manifests/${a.digest}`), { method: 'DELETE' });
  assert.equal(again.status, 404);
  await again.arrayBuffer();
  assert.equal((await fetch(u(`/v2/conf/delete/blobs/${a.layer}`), { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(u(`/v2/conf/delete/blobs/${a.layer}`), { method: 'HEAD' })).status, 404);
});

test('tags list and catalog paginate with n, last and a Link header', async () => {
  const img = await simpleImage('conf/tags', 't0');
  for (const t of ['t1', 't2', 't3', 't4']) {
    assert.equal((await fetch(u(`/v2/conf/tags/manifests/${t}`), { method: 'PUT', body: img.body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);
  }
  const all = (await (await fetch(u('/v2/conf/tags/tags/list'))).json()) as { name: string; tags: string[] };
  assert.deepEqual(all, { name: 'conf/tags', tags: ['t0', 't1', 't2', 't3', 't4'] });
  const p1 = await fetch(u('/v2/conf/tags/tags/list?n=2'));
  assert.deepEqual(((await p1.json()) as { tags: string[] }).tags, ['t0', 't1']);
  const link = p1.headers.get('link')!;
  assert.equal(link, '</v2/conf/tags/tags/list?n=2&last=t1>; rel="next"');
  const p2 = await fetch(u(link.slice(1, link.indexOf('>'))));
  assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ['t2', 't3']);
  const p3 = await fetch(u('/v2/conf/tags/tags/list?n=2&last=t3'));
  assert.deepEqual(((await p3.json()) as { tags: string[] }).tags, ['t4']);
  assert.equal(p3.headers.get('link'), null);
  const zero = await fetch(u('/v2/conf/tags/tags/list?n=0'));
  assert.deepEqual(((await zero.json()) as { tags: string[] }).tags, []);
  assert.equal(zero.headers.get('link'), null);
  const unknown = await fetch(u('/v2/conf/never/tags/list'));
  assert.equal(unknown.status, 404);
  assert.equal(await errorCode(unknown), 'NAME_UNKNOWN');

  const cat = (await (await fetch(u('/v2/_catalog'))).json()) as { repositories: string[] };
  assert.ok(cat.repositories.includes('conf/tags'));
  assert.deepEqual(cat.repositories, [...cat.repositories].sort());
  const c1 = await fetch(u('/v2/_catalog?n=1'));
  assert.equal(((await c1.json()) as { repositories: string[] }).repositories.length, 1);
  assert.match(c1.headers.get('link')!, /^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/);
});

test('referrers: OCI-Subject on push, index of referrers, artifactType filter, removal on delete', async () => {
  const subject = await simpleImage('conf/refs', 'app');
  const empty = await pushBlob('conf/refs', Buffer.from('{}'));
  const artifact = (type: string, note: string) => ({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: type,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
    layers: [],
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.body.length },
    annotations: { note },
  });
  const sig = artifact('application/vnd.example.signature', 'sig');
  const put1 = await pushManifest('conf/refs', sha(JSON.stringify(sig)), sig);
  assert.equal(put1.status, 201);
  assert.equal(put1.headers.get('oci-subject'), subject.digest);
  const sbom = artifact('application/vnd.example.sbom', 'sbom');
  assert.equal((await pushManifest('conf/refs', sha(JSON.stringify(sbom)), sbom)).status, 201);

  const res = await fetch(u(`/v2/conf/refs/referrers/${subject.digest}`));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
  assert.equal(res.headers.get('oci-filters-applied'), null);
  const index = (await res.json()) as { schemaVersion: number; manifests: Array<{ digest: string; artifactType: string; annotations: Record<string, string> }> };
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.manifests.length, 2);
  assert.deepEqual(index.manifests.map((m) => m.artifactType).sort(), ['application/vnd.example.sbom', 'application/vnd.example.signature']);
  const filtered = await fetch(u(`/v2/conf/refs/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`));
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  const f = (await filtered.json()) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
  assert.deepEqual(f.manifests.map((m) => m.digest), [sha(JSON.stringify(sbom))]);
  assert.deepEqual(f.manifests[0]!.annotations, { note: 'sbom' });
  // none, and a subject pushed before its target, are fine
  const none = await fetch(u(`/v2/conf/refs/referrers/${sha('no referrers')}`));
  assert.equal(none.status, 200);
  assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);
  const badDigest = await fetch(u('/v2/conf/refs/referrers/sha256:nothex'));
  assert.equal(badDigest.status, 400);
  await badDigest.arrayBuffer();
  assert.equal((await fetch(u(`/v2/conf/refs/manifests/${sha(JSON.stringify(sig))}`), { method: 'DELETE' })).status, 202);
  const after = (await (await fetch(u(`/v2/conf/refs/referrers/${subject.digest}`))).json()) as { manifests: unknown[] };
  assert.equal(after.manifests.length, 1);
});

test('garbage collection deletes unreferenced blobs and keeps referenced ones', async () => {
  const r = await startRegistry();
  try {
    const name = 'gc/app';
    const post = async (data: Buffer) => (await fetch(`${r.url}/v2/${name}/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data })).status;
    const config = Buffer.from('{"os":"linux"}');
    const layer = randomBytes(300);
    const orphan = randomBytes(400);
    for (const b of [config, layer, orphan]) assert.equal(await post(b), 201);
    const m = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }] };
    assert.equal((await fetch(`${r.url}/v2/${name}/manifests/v1`, { method: 'PUT', body: JSON.stringify(m), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);
    // online mode with a grace period keeps the fresh orphan
    const online = await garbageCollect(r.storage, { gracePeriodMs: 3600_000 });
    assert.deepEqual(online.deletedBlobs, []);
    const dry = await garbageCollect(r.storage, { dryRun: true });
    assert.deepEqual(dry.deletedBlobs, [sha(orphan)]);
    assert.equal((await fetch(`${r.url}/v2/${name}/blobs/${sha(orphan)}`, { method: 'HEAD' })).status, 200);
    const res = await garbageCollect(r.storage);
    assert.deepEqual(res.deletedBlobs, [sha(orphan)]);
    assert.equal((await fetch(`${r.url}/v2/${name}/blobs/${sha(orphan)}`, { method: 'HEAD' })).status, 404);
    assert.equal((await fetch(`${r.url}/v2/${name}/blobs/${sha(layer)}`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${r.url}/v2/${name}/manifests/v1`)).status, 200);
    // once the manifest is deleted its blobs go too
    assert.equal((await fetch(`${r.url}/v2/${name}/manifests/${sha(JSON.stringify(m))}`, { method: 'DELETE' })).status, 202);
    const res2 = await garbageCollect(r.storage);
    assert.deepEqual(res2.deletedBlobs.sort(), [sha(config), sha(layer), sha(JSON.stringify(m))].sort());
  } finally {
    await r.stop();
  }
});

test('basic auth: 401 with WWW-Authenticate without credentials, 200 with them', async () => {
  const dir = tempDir('auth');
  const file = join(dir.path, 'htpasswd');
  writeFileSync(file, htpasswdLine('alice', 's3cret', 4) + '\n');
  const r = await startRegistry({ htpasswd: Htpasswd.fromFile(file) });
  try {
    const anon = await fetch(`${r.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="berth-registry"');
    assert.equal(await errorCode(anon), 'UNAUTHORIZED');
    const bad = await fetch(`${r.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` } });
    assert.equal(bad.status, 401);
    await bad.arrayBuffer();
    const ok = await fetch(`${r.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` } });
    assert.equal(ok.status, 200);
  } finally {
    await r.stop();
    dir.remove();
  }
});

test('read-only mode refuses writes with 405 UNSUPPORTED and still serves reads', async () => {
  const r = await startRegistry({ readOnly: true });
  try {
    const post = await fetch(`${r.url}/v2/ro/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(await errorCode(post), 'UNSUPPORTED');
    const put = await fetch(`${r.url}/v2/ro/app/manifests/v1`, { method: 'PUT', body: '{}' });
    assert.equal(put.status, 405);
    await put.arrayBuffer();
    assert.equal((await fetch(`${r.url}/v2/`)).status, 200);
    assert.equal((await fetch(`${r.url}/v2/_catalog`)).status, 200);
  } finally {
    await r.stop();
  }
});
