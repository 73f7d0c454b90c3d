// The registry client against berth-registry: push/pull round trips, auth, resume, verification.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeBlob } from '../../src/content/index.ts';
import { errorCode, isInvalidArgument, isNotFound, messageOf } from '../../src/lib/index.ts';
import { DockerConfig, RegistryClient, type ProgressMessage } from '../../src/registry/client/index.ts';
import { Htpasswd, htpasswdLine } from '../../src/registry/server/index.ts';
import { makeImage, openContentStore, sha, startRegistry, tempDir } from './helpers.ts';
import { TestProxy } from './proxy.ts';

function statuses(msgs: ProgressMessage[]): string[] {
  return msgs.map((m) => m.status ?? '').filter(Boolean);
}

/**
 * A berth-registry with a test proxy in front, and two content stores: `src` holds an image of
 * layers of `sizes` bytes, pushed as `<reg.host>/<repo>` when `repo` is given (through `pusher`,
 * which the test closes). Everything is stopped and removed after the test.
 */
async function proxiedImage(t: TestContext, sizes: number[], repo?: string) {
  const reg = await startRegistry();
  const src = openContentStore();
  const dst = openContentStore();
  const img = await makeImage(src.store, sizes);
  const pusher = new RegistryClient({ content: src.store, dockerConfig: null });
  if (repo) await pusher.push(`${reg.host}/${repo}`, { manifest: { digest: img.manifestDigest } });
  else await pusher.close();
  const proxy = new TestProxy(reg.url);
  const host = await proxy.listen();
  t.after(async () => {
    await proxy.kill().catch(() => undefined);
    await reg.stop();
    src.remove();
    dst.remove();
  });
  return { reg, src, dst, img, pusher, proxy, host };
}

test('push then pull round trip through berth-registry, with progress, skip, mount and chunked upload', async (t) => {
  const reg = await startRegistry();
  const src = openContentStore();
  const dst = openContentStore();
  t.after(async () => {
    await reg.stop();
    src.remove();
    dst.remove();
  });
  const img = await makeImage(src.store, [300_000, 70_000, 5_000]);
  const pushClient = new RegistryClient({ content: src.store, dockerConfig: null });
  const msgs: ProgressMessage[] = [];
  const pushed = await pushClient.push(`${reg.host}/rt/app:v1`, { manifest: { digest: img.manifestDigest }, chunkSize: 64 * 1024, onProgress: (m) => msgs.push(m) });
  assert.equal(pushed.digest, img.manifestDigest);
  const s = statuses(msgs);
  assert.equal(s[0], `The push refers to repository [${reg.host}/rt/app]`);
  assert.equal(s.filter((x) => x === 'Pushed').length, 3);
  assert.ok(msgs.some((m) => m.status === 'Pushing' && m.progressDetail?.total === img.layers[0]!.size));
  assert.ok(s.includes(`v1: digest: ${img.manifestDigest} size: ${img.manifest.length}`));
  assert.ok(reg.server && msgs.some((m) => m.aux?.['Digest'] === img.manifestDigest));

  // pushing again skips every layer; pushing to another repository mounts them
  const again: ProgressMessage[] = [];
  await pushClient.push(`${reg.host}/rt/app:v2`, { manifest: { digest: img.manifestDigest }, onProgress: (m) => again.push(m) });
  assert.equal(statuses(again).filter((x) => x === 'Layer already exists').length, 3);
  const mounted: ProgressMessage[] = [];
  await pushClient.push(`${reg.host}/rt/other:v1`, { manifest: { digest: img.manifestDigest }, onProgress: (m) => mounted.push(m) });
  assert.equal(statuses(mounted).filter((x) => x === 'Mounted from rt/app').length, 3);

  const pullClient = new RegistryClient({ content: dst.store, dockerConfig: null });
  const pmsgs: ProgressMessage[] = [];
  const pulled = await pullClient.pull(`${reg.host}/rt/app:v1`, { onProgress: (m) => pmsgs.push(m) });
  assert.equal(pulled.digest, img.manifestDigest);
  assert.equal(pulled.layers.length, 3);
  for (const l of img.layers) assert.deepEqual(await dst.store.readBlob({ digest: l.digest }), l.data);
  assert.ok(await dst.store.exists(img.config.digest));
  const ps = statuses(pmsgs);
  assert.equal(ps[0], 'Pulling from rt/app');
  for (const want of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Pull complete']) assert.ok(ps.includes(want), want);
  assert.ok(ps.includes(`Digest: ${img.manifestDigest}`));
  assert.equal(ps.at(-1), `Status: Downloaded newer image for ${reg.host}/rt/app:v1`);
  const info = await dst.store.info(img.layers[0]!.digest);
  assert.equal(info.labels[`containerd.io/distribution.source.${reg.host}`], 'rt/app');

  const second: ProgressMessage[] = [];
  await pullClient.pull(`${reg.host}/rt/app@${img.manifestDigest}`, { onProgress: (m) => second.push(m) });
  assert.equal(statuses(second).filter((x) => x === 'Already exists').length, 3);
  assert.equal(statuses(second).at(-1), `Status: Image is up to date for ${reg.host}/rt/app@${img.manifestDigest}`);
  assert.deepEqual(await pullClient.tags(`${reg.host}/rt/app`), ['v1', 'v2']);
  await pushClient.close();
  await pullClient.close();
});

test('pull follows an index to the requested platform', async (t) => {
  const reg = await startRegistry();
  const src = openContentStore();
  const dst = openContentStore();
  t.after(async () => {
    await reg.stop();
    src.remove();
    dst.remove();
  });
  const amd = await makeImage(src.store, [1000], { seed: 'amd64' });
  const arm = await makeImage(src.store, [1200], { seed: 'arm64' });
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.manifestDigest, size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.manifestDigest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  }));
  const idx = await writeBlob(src.store, index);
  const client = new RegistryClient({ content: src.store, dockerConfig: null });
  await client.push(`${reg.host}/multi/app:latest`, { manifest: { digest: idx.digest } });
  const puller = new RegistryClient({ content: dst.store, dockerConfig: null });
  const got = await puller.pull(`${reg.host}/multi/app`, { platform: 'linux/arm64' });
  assert.equal(got.digest, idx.digest);
  assert.equal(got.manifestDescriptor.digest, arm.manifestDigest);
  assert.ok(await dst.store.exists(arm.layers[0]!.digest));
  assert.equal(await dst.store.exists(amd.layers[0]!.digest), false);
  await assert.rejects(puller.pull(`${reg.host}/multi/app`, { platform: 'linux/s390x' }), (err) => isNotFound(err) && /no matching manifest for linux\/s390x/.test(messageOf(err)));
  await client.close();
  await puller.close();
});

test('bad references and unknown tags give clear errors', async (t) => {
  const reg = await startRegistry();
  const dst = openContentStore();
  t.after(async () => {
    await reg.stop();
    dst.remove();
  });
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  await assert.rejects(client.pull('UPPER/Case'), (err) => isInvalidArgument(err) && /invalid reference format/.test(messageOf(err)));
  await assert.rejects(client.pull(`${reg.host}/app:bad tag`), (err) => isInvalidArgument(err));
  await assert.rejects(client.pull(`${reg.host}/none/app:missing`), (err) => {
    assert.ok(isNotFound(err));
    assert.match(messageOf(err), new RegExp(`^pull "${reg.host}/none/app:missing": fetch manifest "none/app:missing": manifest "none/app:missing" unknown`));
    return true;
  });
  await assert.rejects(client.pull('127.0.0.1:1/closed/port:v1'), (err) => errorCode(err) === 'unavailable');
  await client.close();
});

test('a registry killed mid-pull: the retry resumes with Range and the blob is intact', async (t) => {
  const { reg, src, dst, img, pusher, proxy, host } = await proxiedImage(t, [3_000_000], 'kill/app:v1');
  let killed = false;
  proxy.intercept = (req, _res, upstream) => {
    if (!killed && req.url?.includes(`/blobs/${img.layers[0]!.digest}`)) {
      killed = true;
      upstream((chunk, offset) => {
        if (offset + chunk.length > 1_000_000) {
          // the registry dies in the middle of the layer, and comes back a moment later
          void proxy.kill().then(() => setTimeout(() => void proxy.revive(), 300));
          return 'cut';
        }
        return chunk;
      });
      return true;
    }
    return false;
  };
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  const pulled = await client.pull(`${host}/kill/app:v1`);
  assert.equal(pulled.layers[0]!.digest, img.layers[0]!.digest);
  const layerGets = proxy.seen.filter((r) => r.url.includes(`/blobs/${img.layers[0]!.digest}`));
  assert.ok(layerGets.length >= 2, `expected a retry, saw ${layerGets.length} requests`);
  const range = layerGets.at(-1)!.headers['range'];
  assert.match(String(range), /^bytes=[1-9][0-9]*-$/);
  assert.deepEqual(await dst.store.readBlob({ digest: img.layers[0]!.digest }), img.layers[0]!.data);
  assert.deepEqual(await dst.store.listStatuses(), []);
  await client.close();
  await pusher.close();
});

test('a blob or manifest whose digest does not match is refused and discarded', async (t) => {
  const { reg, src, dst, img, pusher, proxy, host } = await proxiedImage(t, [50_000], 'corrupt/app:v1');
  proxy.intercept = (req, _res, upstream) => {
    if (req.url?.includes(`/blobs/${img.layers[0]!.digest}`)) {
      upstream((chunk, offset) => {
        const c = Buffer.from(chunk);
        if (offset === 0) c[10] = c[10]! ^ 0xff;
        return c;
      });
      return true;
    }
    return false;
  };
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  await assert.rejects(client.pull(`${host}/corrupt/app:v1`), (err) => {
    assert.equal(errorCode(err), 'failed-precondition');
    assert.match(messageOf(err), /digest or size mismatch, data discarded/);
    return true;
  });
  assert.equal(await dst.store.exists(img.layers[0]!.digest), false);
  assert.deepEqual(await dst.store.listStatuses({ prefix: `pull-${img.layers[0]!.digest}` }), []);
  // a blob that goes on past its size is cut off as it arrives, not taken
  const layer = (await src.store.readBlob(img.layers[0]!)) as Buffer;
  proxy.intercept = (req, res) => {
    if (!req.url?.includes(`/blobs/${img.layers[0]!.digest}`)) return false;
    res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: no length to hold it to
    res.write(layer);
    res.end(Buffer.alloc(4096, 7));
    return true;
  };
  await assert.rejects(client.pull(`${host}/corrupt/app:v1`), (err) => {
    assert.equal(errorCode(err), 'failed-precondition');
    assert.match(messageOf(err), /received more than the 50\d+ bytes expected/);
    return true;
  });
  assert.equal(await dst.store.exists(img.layers[0]!.digest), false);
  assert.deepEqual(await dst.store.listStatuses({ prefix: `pull-${img.layers[0]!.digest}` }), []);
  // a manifest fetched by digest must hash to that digest
  await assert.rejects(client.resolve(`${reg.host}/corrupt/app@${sha('not the manifest')}`), (err) => isNotFound(err));
  proxy.intercept = (req, res) => {
    if (req.url?.includes('/manifests/')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(img.manifest.toString().replace('"schemaVersion":2', '"schemaVersion":2 '));
      return true;
    }
    return false;
  };
  await assert.rejects(client.resolve(`${host}/corrupt/app@${img.manifestDigest}`), (err) => /content digest is/.test(messageOf(err)) && isInvalidArgument(err));
  await client.close();
  await pusher.close();
});

test('two pulls of the same image at once coalesce: each blob is downloaded once', async (t) => {
  const { reg, src, dst, img, pusher, proxy, host } = await proxiedImage(t, [400_000, 200_000], 'co/app:v1');
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  await Promise.all([client.pull(`${host}/co/app:v1`), client.pull(`${host}/co/app:v1`)]);
  for (const l of img.layers) {
    assert.equal(proxy.seen.filter((r) => r.method === 'GET' && r.url.endsWith(`/blobs/${l.digest}`)).length, 1);
    assert.deepEqual(await dst.store.readBlob({ digest: l.digest }), l.data);
  }
  await client.close();
  await pusher.close();
});

test('mirrors are tried in order: a dead mirror falls back, a live one serves', async (t) => {
  const reg = await startRegistry();
  const mirror = await startRegistry();
  const src = openContentStore();
  const dst = openContentStore();
  t.after(async () => {
    await reg.stop();
    await mirror.stop();
    src.remove();
    dst.remove();
  });
  const img = await makeImage(src.store, [2000]);
  const pusher = new RegistryClient({ content: src.store, dockerConfig: null });
  await pusher.push(`${reg.host}/mir/app:v1`, { manifest: { digest: img.manifestDigest } });
  const proxy = new TestProxy(reg.url);
  const host = await proxy.listen();
  t.after(() => proxy.kill());
  const client = new RegistryClient({ content: dst.store, dockerConfig: null, mirrors: { [host]: ['http://127.0.0.1:1', mirror.url] } });
  // the live mirror lacks the image, so the origin (through the proxy) serves it
  await client.pull(`${host}/mir/app:v1`);
  assert.ok(proxy.seen.some((r) => r.url.includes('/manifests/v1')));
  // once the mirror has it, the origin is not asked again
  const mirrorPush = new RegistryClient({ content: src.store, dockerConfig: null });
  await mirrorPush.push(`${mirror.host}/mir/app:v2`, { manifest: { digest: img.manifestDigest } });
  const before = proxy.seen.length;
  await client.pull(`${host}/mir/app:v2`);
  assert.equal(proxy.seen.length, before);
  await client.close();
  await pusher.close();
  await mirrorPush.close();
});

test('basic auth with credentials from a docker config.json and from a credential helper', async (t) => {
  const dir = tempDir('creds');
  writeFileSync(join(dir.path, 'htpasswd'), htpasswdLine('bob', 'hunter2', 4) + '\n');
  const reg = await startRegistry({ htpasswd: Htpasswd.fromFile(join(dir.path, 'htpasswd')) });
  const src = openContentStore();
  t.after(async () => {
    await reg.stop();
    src.remove();
    dir.remove();
  });
  const img = await makeImage(src.store, [1000]);
  const anonymous = new RegistryClient({ content: src.store, dockerConfig: null });
  await assert.rejects(anonymous.push(`${reg.host}/auth/app:v1`, { manifest: { digest: img.manifestDigest } }), (err) => errorCode(err) === 'permission-denied' && /authentication required/.test(messageOf(err)));

  const cfgDir = join(dir.path, 'docker');
  mkdirSync(cfgDir);
  writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('bob:hunter2').toString('base64') } } }));
  const withConfig = new RegistryClient({ content: src.store, dockerConfig: new DockerConfig(cfgDir) });
  await withConfig.push(`${reg.host}/auth/app:v1`, { manifest: { digest: img.manifestDigest } });

  // login stores credentials; then a credential helper provides them
  const loginDir = join(dir.path, 'login');
  mkdirSync(loginDir);
  const loginClient = new RegistryClient({ content: src.store, dockerConfig: new DockerConfig(loginDir) });
  await assert.rejects(loginClient.login(reg.host, { username: 'bob', password: 'nope' }), (err) => errorCode(err) === 'permission-denied');
  assert.deepEqual(await loginClient.login(reg.host, { username: 'bob', password: 'hunter2' }), { status: 'Login Succeeded' });
  assert.deepEqual(await new DockerConfig(loginDir).get(reg.host), { username: 'bob', password: 'hunter2' });
  assert.equal(await loginClient.logout(reg.host), true);
  assert.equal(await new DockerConfig(loginDir).get(reg.host), undefined);

  const binDir = join(dir.path, 'bin');
  mkdirSync(binDir);
  const helper = `berthtest${randomUUID().slice(0, 8)}`;
  writeFileSync(join(binDir, `docker-credential-${helper}`), `#!/bin/sh\nread host\nif [ "$1" = get ] && [ "$host" = "${reg.host}" ]; then echo '{"ServerURL":"${reg.host}","Username":"bob","Secret":"hunter2"}'; else echo "credentials not found in native keychain"; exit 1; fi\n`);
  chmodSync(join(binDir, `docker-credential-${helper}`), 0o755);
  const helperCfg = join(dir.path, 'helper');
  mkdirSync(helperCfg);
  writeFileSync(join(helperCfg, 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: helper } }));
  const oldPath = process.env['PATH'];
  process.env['PATH'] = `${binDir}:${oldPath}`;
  try {
    const dst = openContentStore();
    t.after(() => dst.remove());
    const viaHelper = new RegistryClient({ content: dst.store, dockerConfig: new DockerConfig(helperCfg) });
    const pulled = await viaHelper.pull(`${reg.host}/auth/app:v1`);
    assert.equal(pulled.digest, img.manifestDigest);
    await viaHelper.close();
  } finally {
    process.env['PATH'] = oldPath;
  }
  await anonymous.close();
  await withConfig.close();
  await loginClient.close();
});

test('bearer token flow: tokens fetched per scope from the realm and cached until expiry', async (t) => {
  const reg = await startRegistry();
  const secret = randomBytes(8).toString('hex');
  const issued = new Map<string, string[]>();
  const tokenRequests: Array<{ scope: string[]; account: string | null; method?: string; form?: Record<string, string> }> = [];
  // docker's OAuth2 form: refresh token → access token (pull,push), and a rotated refresh token
  const refreshTokens = new Set(['refresh-alice']);
  const oauth = { post: true };
  const issue = (res: ServerResponse, granted: string[], extra: Record<string, unknown> = {}) => {
    const token = `${secret}.${randomUUID()}`;
    issued.set(token, granted);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...extra, token, expires_in: 300, issued_at: new Date().toISOString() }));
  };
  // a token server: anonymous gets pull, alice:pw gets pull,push
  const auth = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        tokenRequests.push({ scope: (form['scope'] ?? '').split(' ').filter(Boolean), account: null, method: 'POST', form });
        if (!oauth.post) {
          res.writeHead(404);
          return void res.end();
        }
        if (form['grant_type'] !== 'refresh_token' || !refreshTokens.has(form['refresh_token'] ?? '') || req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
          res.writeHead(400, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ error: 'invalid_grant' }));
        }
        refreshTokens.delete(form['refresh_token']!);
        const next = `refresh-${randomUUID()}`;
        refreshTokens.add(next);
        const granted = (form['scope'] ?? '').split(' ').filter(Boolean);
        const access = `${secret}.${randomUUID()}`;
        issued.set(access, granted);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: access, refresh_token: next, expires_in: 300, scope: form['scope'] }));
      });
      return;
    }
    const scopes = u.searchParams.getAll('scope');
    const basic = req.headers.authorization?.match(/^Basic (.+)$/);
    const user = basic ? Buffer.from(basic[1]!, 'base64').toString() : undefined;
    tokenRequests.push({ scope: scopes, account: u.searchParams.get('account') });
    if (user !== undefined && user !== 'alice:pw') {
      res.writeHead(401, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
    }
    issue(res, scopes.map((s) => (user ? s : s.replace(/:pull,push$/, ':pull'))));
  });
  await new Promise<void>((r) => auth.listen(0, '127.0.0.1', () => r()));
  const realm = `http://127.0.0.1:${(auth.address() as AddressInfo).port}/token`;
  const proxy = new TestProxy(reg.url);
  proxy.intercept = (req, res) => {
    const m = req.url?.match(/^\/v2\/(.+?)\/(manifests|blobs|tags)\//);
    const name = m?.[1];
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    const need = name ? `repository:${name}:${write ? 'pull,push' : 'pull'}` : undefined;
    const tok = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    const granted = tok ? issued.get(tok) : undefined;
    const ok = granted !== undefined && (!need || granted.some((g) => g === need || (g.endsWith(':pull,push') && need.startsWith(g.replace(/:pull,push$/, ':')))));
    if (ok) return false;
    const scope = need ?? '';
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="${realm}",service="test-registry"${scope ? `,scope="${scope}"` : ''}` });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    req.resume();
    return true;
  };
  const host = await proxy.listen();
  const src = openContentStore();
  const dst = openContentStore();
  t.after(async () => {
    await proxy.kill();
    await new Promise<void>((r) => auth.close(() => r()));
    await reg.stop();
    src.remove();
    dst.remove();
  });
  const img = await makeImage(src.store, [5000, 6000]);
  const anonymous = new RegistryClient({ content: src.store, dockerConfig: null });
  await assert.rejects(anonymous.push(`${host}/tok/app:v1`, { manifest: { digest: img.manifestDigest } }), (err) => errorCode(err) === 'permission-denied');
  const client = new RegistryClient({ content: src.store, dockerConfig: null });
  await client.push(`${host}/tok/app:v1`, { manifest: { digest: img.manifestDigest }, auth: { username: 'alice', password: 'pw' } });
  const pushTokens = tokenRequests.filter((r) => r.account === 'alice');
  assert.ok(pushTokens.length >= 1);
  assert.ok(pushTokens.length <= 2, `token fetched ${pushTokens.length} times; expected it cached`);
  assert.ok(pushTokens[0]!.scope.includes('repository:tok/app:pull,push'));
  const before = tokenRequests.length;
  const puller = new RegistryClient({ content: dst.store, dockerConfig: null });
  const pulled = await puller.pull(`${host}/tok/app:v1`);
  assert.equal(pulled.digest, img.manifestDigest);
  assert.equal(tokenRequests.length - before, 1, 'one anonymous pull token for the whole pull');
  await assert.rejects(client.push(`${host}/tok/app:v2`, { manifest: { digest: img.manifestDigest }, auth: { username: 'alice', password: 'wrong' } }), (err) => errorCode(err) === 'permission-denied' && /bad credentials/.test(messageOf(err)));

  // An identity token (docker's `identitytoken`): the access token comes from a POST of the
  // refresh-token form; the server's rotated refresh token is the one sent next time.
  const viaIdentity = new RegistryClient({ content: src.store, dockerConfig: null });
  const mark = tokenRequests.length;
  await viaIdentity.push(`${host}/tok/app:v3`, { manifest: { digest: img.manifestDigest }, auth: { identityToken: 'refresh-alice' } });
  const posts = tokenRequests.slice(mark).filter((r) => r.method === 'POST');
  assert.ok(posts.length >= 1, 'the token came from a POST');
  assert.equal(tokenRequests.slice(mark).filter((r) => r.method !== 'POST').length, 0, 'no GET to the realm');
  assert.deepEqual(
    { grant: posts[0]!.form?.['grant_type'], refresh: posts[0]!.form?.['refresh_token'], client: posts[0]!.form?.['client_id'], service: posts[0]!.form?.['service'] },
    { grant: 'refresh_token', refresh: 'refresh-alice', client: 'berth', service: 'test-registry' },
  );
  assert.ok(posts[0]!.scope.includes('repository:tok/app:pull,push'));
  // a second scope (another repository) needs another token: the rotated refresh token is used
  await viaIdentity.push(`${host}/tok/other:v1`, { manifest: { digest: img.manifestDigest }, auth: { identityToken: 'refresh-alice' } });
  const second = tokenRequests.slice(mark).filter((r) => r.method === 'POST').at(-1)!;
  assert.notEqual(second.form?.['refresh_token'], 'refresh-alice');
  assert.match(second.form?.['refresh_token'] ?? '', /^refresh-/);
  await viaIdentity.close();

  // A token server without the OAuth2 POST (404): GET with Basic credentials instead.
  oauth.post = false;
  const fallback = new RegistryClient({ content: src.store, dockerConfig: null });
  const mark2 = tokenRequests.length;
  await fallback.push(`${host}/tok/app:v4`, { manifest: { digest: img.manifestDigest }, auth: { username: 'alice', password: 'pw', identityToken: 'refresh-unknown' } });
  const after = tokenRequests.slice(mark2);
  assert.ok(after.some((r) => r.method === 'POST'), 'the POST was tried first');
  assert.ok(after.some((r) => r.method !== 'POST' && r.account === 'alice'), 'then the GET with Basic credentials');
  await fallback.close();
  await anonymous.close();
  await client.close();
  await puller.close();
});

test('a registry killed mid-push: the chunked upload resumes from the registry offset', async (t) => {
  const { reg, src, dst, img, proxy, host } = await proxiedImage(t, [600_000]);
  let patches = 0;
  proxy.intercept = (req) => {
    if (req.method === 'PATCH' && ++patches === 2) {
      // the second chunk never arrives: the registry dies mid-request and comes back
      req.once('data', () => void proxy.kill().then(() => setTimeout(() => void proxy.revive(), 300)));
      return true;
    }
    return false;
  };
  const client = new RegistryClient({ content: src.store, dockerConfig: null });
  await client.push(`${host}/killpush/app:v1`, { manifest: { digest: img.manifestDigest }, chunkSize: 200_000 });
  const ranges = proxy.seen.filter((r) => r.method === 'PATCH').map((r) => String(r.headers['content-range']));
  assert.deepEqual(ranges.slice(0, 2), ['0-199999', '200000-399999']);
  assert.ok(proxy.seen.some((r) => r.method === 'GET' && r.url.includes('/blobs/uploads/')), 'upload status asked after the failure');
  assert.equal(ranges[2], '200000-399999', 'the retry resumes at the registry offset, not from 0');
  const puller = new RegistryClient({ content: dst.store, dockerConfig: null });
  await puller.pull(`${reg.host}/killpush/app:v1`);
  assert.deepEqual(await dst.store.readBlob({ digest: img.layers[0]!.digest }), img.layers[0]!.data);
  await client.close();
  await puller.close();
});

test('blob downloads follow redirects to another host (blob storage)', async (t) => {
  const { reg, src, dst, img, pusher, proxy, host } = await proxiedImage(t, [30_000], 'redir/app:v1');
  let redirected = 0;
  proxy.intercept = (req, res) => {
    if (req.method === 'GET' && req.url?.includes('/blobs/sha256:')) {
      redirected++;
      res.writeHead(307, { location: `${reg.url}${req.url}` });
      res.end();
      return true;
    }
    return false;
  };
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  await client.pull(`${host}/redir/app:v1`);
  assert.equal(redirected, 2, 'config and layer were redirected');
  assert.deepEqual(await dst.store.readBlob({ digest: img.layers[0]!.digest }), img.layers[0]!.data);
  await client.close();
  await pusher.close();
});

test('a pull canceled mid-layer keeps its ingest; the next pull resumes it with Range', async (t) => {
  const { reg, src, dst, img, pusher, proxy, host } = await proxiedImage(t, [2_000_000], 'cancel/app:v1');
  const layer = img.layers[0]!;
  const ac = new AbortController();
  // the first layer download stalls after 600 kB, and the user cancels
  proxy.intercept = (req, _res, upstream) => {
    if (!req.url?.includes(`/blobs/${layer.digest}`)) return false;
    upstream((chunk, offset) => {
      if (offset + chunk.length > 600_000) {
        setTimeout(() => ac.abort(), 50);
        return chunk.subarray(0, Math.max(0, 600_000 - offset));
      }
      return chunk;
    });
    proxy.intercept = undefined;
    return true;
  };
  const client = new RegistryClient({ content: dst.store, dockerConfig: null });
  await assert.rejects(client.pull(`${host}/cancel/app:v1`, { signal: ac.signal }));
  const [ingest] = await dst.store.listStatuses({ prefix: `pull-${layer.digest}` });
  assert.ok(ingest && ingest.offset > 0 && ingest.offset <= 600_000, `partial ingest kept (${ingest?.offset})`);
  await client.pull(`${host}/cancel/app:v1`);
  const gets = proxy.seen.filter((r) => r.url.includes(`/blobs/${layer.digest}`));
  assert.equal(gets.at(-1)!.headers['range'], `bytes=${ingest.offset}-`);
  assert.deepEqual(await dst.store.readBlob({ digest: layer.digest }), layer.data);
  await client.close();
  await pusher.close();
});
