import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { conflict, failedPrecondition, invalidArgument, notFound, notImplemented, nullLogger, berthError, unavailable } from '../../src/lib/index.ts';
import { apiHijack, apiRequest, ndjsonLines } from '../helpers/api-client.ts';
import { ApiServer } from '../../src/api/server/server.ts';
import { Router } from '../../src/api/server/router.ts';
import { requestLogger } from '../../src/api/server/middleware.ts';
import { muxFrame, demux, StdStream } from '../../src/api/server/streams.ts';

async function startServer(t: { after: (fn: () => Promise<void>) => void }, router: Router, jsonBodyLimit?: number) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-apiserver-'));
  const sock = join(dir, 'api.sock');
  const server = new ApiServer(router, { log: nullLogger, ...(jsonBodyLimit ? { jsonBodyLimit } : {}) });
  await server.listenUnix(sock);
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { sock, server, dir };
}

test('ApiServer routes versioned and unversioned paths with params and sets docker headers', async (t) => {
  const router = new Router().use(requestLogger());
  router.get('/things/:id/json', (ctx) => ctx.json({ id: ctx.param('id'), version: ctx.apiVersion }));
  router.get('/images/:name*/json', (ctx) => ctx.json({ name: ctx.param('name') }));
  const { sock } = await startServer(t, router);

  const a = await apiRequest(sock, '/v1.41/things/abc/json');
  assert.equal(a.status, 200);
  assert.deepEqual(a.json(), { id: 'abc', version: '1.41' });
  assert.equal(a.headers['api-version'], '1.45');
  assert.equal(a.headers['ostype'], 'linux');
  assert.equal(a.headers['docker-experimental'], 'false');

  const b = await apiRequest(sock, '/things/x%2Fy/json');
  assert.deepEqual(b.json(), { id: 'x/y', version: '1.45' });
  const c = await apiRequest(sock, '/v1.45/images/localhost:5000/a/b:1/json');
  assert.deepEqual(c.json(), { name: 'localhost:5000/a/b:1' });
  const head = await apiRequest(sock, '/things/abc/json', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

test('ApiServer rejects API versions outside the supported range with docker wording', async (t) => {
  const router = new Router();
  router.get('/version', (ctx) => ctx.json({}));
  const { sock } = await startServer(t, router);
  const old = await apiRequest(sock, '/v1.12/version');
  assert.equal(old.status, 400);
  assert.match(old.json().message, /client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
  const young = await apiRequest(sock, '/v1.99/version');
  assert.equal(young.status, 400);
  assert.match(young.json().message, /client version 1\.99 is too new\. Maximum supported API version is 1\.45/);
  const missing = await apiRequest(sock, '/v1.45/nothing/here');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { message: 'page not found' });
});

test('ApiServer translates error codes to docker statuses once, as {"message"}', async (t) => {
  const router = new Router();
  const cases: [string, () => unknown, number][] = [
    ['nf', () => notFound('no such container: "x"'), 404],
    ['inv', () => invalidArgument('bad'), 400],
    ['conf', () => conflict('in use'), 409],
    ['pre', () => failedPrecondition('is running'), 409],
    ['perm', () => berthError('permission-denied', 'denied'), 403],
    ['unav', () => unavailable('later'), 503],
    ['ni', () => notImplemented('not yet'), 501],
    ['plain', () => new Error('boom'), 500],
    ['enoent', () => Object.assign(new Error('gone'), { code: 'ENOENT' }), 404],
  ];
  for (const [name, make] of cases) {
    router.get(`/e/${name}`, () => {
      throw make();
    });
  }
  router.post('/e/nm', () => {
    throw berthError('not-modified', 'already started');
  });
  const { sock } = await startServer(t, router);
  for (const [name, make, status] of cases) {
    const r = await apiRequest(sock, `/e/${name}`);
    assert.equal(r.status, status, name);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(r.json(), { message: (make() as Error).message });
  }
  const nm = await apiRequest(sock, '/e/nm', { method: 'POST' });
  assert.equal(nm.status, 304);
  assert.equal(nm.body.length, 0);
});

test('RequestContext.body refuses bad JSON, wrong content types and oversized bodies with 400', async (t) => {
  const router = new Router();
  router.post('/echo', async (ctx) => ctx.json({ got: (await ctx.body()) ?? null }));
  router.post('/need', async (ctx) => ctx.json(await ctx.requireBody()));
  const { sock } = await startServer(t, router, 1024);
  const ok = await apiRequest(sock, '/echo', { method: 'POST', body: { a: 1 } });
  assert.deepEqual(ok.json(), { got: { a: 1 } });
  const empty = await apiRequest(sock, '/echo', { method: 'POST' });
  assert.deepEqual(empty.json(), { got: null });
  const bad = await apiRequest(sock, '/echo', { method: 'POST', body: '{"a":', headers: { 'Content-Type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /^invalid JSON: /);
  const type = await apiRequest(sock, '/echo', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/xml' } });
  assert.equal(type.status, 400);
  assert.match(type.json().message, /unsupported Content-Type header \(application\/xml\)/);
  const big = await apiRequest(sock, '/echo', { method: 'POST', body: { pad: 'x'.repeat(2000) } });
  assert.equal(big.status, 400);
  assert.match(big.json().message, /request body too large/);
  const need = await apiRequest(sock, '/need', { method: 'POST' });
  assert.equal(need.status, 400);
  assert.match(need.json().message, /request body is required/);
});

test('RequestContext query helpers parse booleans, integers and both filter forms', async (t) => {
  const router = new Router();
  router.get('/q', (ctx) =>
    ctx.json({ all: ctx.bool('all'), n: ctx.int('n', 7), f: Object.fromEntries(ctx.filters(['label', 'name'])) }),
  );
  const { sock } = await startServer(t, router);
  const f = encodeURIComponent(JSON.stringify({ label: { 'a=b': true, off: false }, name: ['x'] }));
  const r = await apiRequest(sock, `/q?all=1&n=3&filters=${f}`);
  assert.deepEqual(r.json(), { all: true, n: 3, f: { label: ['a=b'], name: ['x'] } });
  const d = await apiRequest(sock, '/q');
  assert.deepEqual(d.json(), { all: false, n: 7, f: {} });
  const badFilter = await apiRequest(sock, `/q?filters=${encodeURIComponent('{"nope":["1"]}')}`);
  assert.equal(badFilter.status, 400);
  assert.equal(badFilter.json().message, "invalid filter 'nope'");
  const badInt = await apiRequest(sock, '/q?n=abc');
  assert.equal(badInt.status, 400);
});

test('ApiServer reports an error after streaming started as a final ndjson error line', async (t) => {
  const router = new Router();
  router.post('/pull', async (ctx) => {
    const p = ctx.ndjson();
    p.write({ status: 'Pulling' });
    throw notFound('manifest unknown');
  });
  const { sock } = await startServer(t, router);
  const r = await apiRequest(sock, '/pull', { method: 'POST' });
  assert.equal(r.status, 200);
  assert.deepEqual(ndjsonLines(r), [
    { status: 'Pulling' },
    { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' },
  ]);
});

test('RequestContext.hijack answers 101 UPGRADED to an upgrade request, reads its JSON body, then streams both ways', async (t) => {
  const router = new Router();
  router.post('/exec/:id/start', async (ctx) => {
    const body = await ctx.body<{ Tty: boolean }>();
    const sock = ctx.hijack();
    sock.write(muxFrame(StdStream.stdout, `id=${ctx.param('id')} tty=${body?.Tty}\n`));
    sock.on('data', (d: Buffer) => {
      sock.write(muxFrame(StdStream.stderr, d.toString().toUpperCase()));
      sock.end();
    });
  });
  router.post('/missing/start', () => {
    throw notFound('no such exec');
  });
  const { sock } = await startServer(t, router);
  const c = await apiHijack(sock, '/v1.45/exec/e1/start', { body: { Tty: false } });
  assert.equal(c.status, 101);
  assert.match(c.headerText, /Upgrade: tcp/);
  assert.match(c.headerText, /Content-Type: application\/vnd\.docker\.raw-stream/);
  const chunks: Buffer[] = [c.head];
  c.socket.on('data', (d: Buffer) => chunks.push(d));
  c.socket.resume();
  c.socket.write('hello');
  await new Promise((r) => c.socket.once('end', r));
  c.socket.destroy();
  assert.deepEqual(demux(Buffer.concat(chunks)), { stdout: 'id=e1 tty=false\n', stderr: 'HELLO' });

  const miss = await apiHijack(sock, '/missing/start');
  assert.equal(miss.status, 404);
  miss.socket.destroy();
});

test('RequestContext.hijack answers 200 with a raw stream when the client did not ask to upgrade', async (t) => {
  const router = new Router();
  router.post('/attach', (ctx) => {
    const sock = ctx.hijack();
    sock.end(muxFrame(StdStream.stdout, 'out'));
  });
  const { sock } = await startServer(t, router);
  const c = await apiHijack(sock, '/attach', { upgrade: false });
  assert.equal(c.status, 200);
  const chunks: Buffer[] = [c.head];
  c.socket.on('data', (d: Buffer) => chunks.push(d));
  c.socket.resume();
  await new Promise((r) => c.socket.once('end', r));
  c.socket.destroy();
  assert.equal(demux(Buffer.concat(chunks)).stdout, 'out');
});

test('ApiServer: requests on one kept-alive connection leave no listener behind, and a client that goes away aborts its request', async (t) => {
  const router = new Router().use(requestLogger());
  router.get('/count', (ctx) => ctx.json({ close: ctx.req.socket.listenerCount('close') }));
  let aborted: () => void = () => undefined;
  const abortSeen = new Promise<void>((r) => (aborted = r));
  let entered: () => void = () => undefined;
  const waiting = new Promise<void>((r) => (entered = r));
  router.get('/slow', async (ctx) => {
    ctx.signal.addEventListener('abort', () => aborted());
    entered();
    await abortSeen;
  });
  const { sock } = await startServer(t, router);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const counts: number[] = [];
  for (let i = 0; i < 25; i++) counts.push((await apiRequest(sock, '/count', { agent })).json().close as number);
  assert.equal(new Set(counts).size, 1, `close listeners on the connection grew: ${counts.join(',')}`);

  const req = httpRequest({ socketPath: sock, path: '/slow' });
  req.on('error', () => undefined);
  req.end();
  await waiting;
  req.destroy();
  await abortSeen; // the handler's signal fired when the client's connection closed
});

test('ApiServer.listenUnix sets mode 0660, replaces a stale socket and refuses a live one', async (t) => {
  const router = new Router();
  router.get('/_ping', (ctx) => ctx.text('OK'));
  const { sock, dir } = await startServer(t, router);
  assert.equal((await stat(sock)).mode & 0o777, 0o660);
  const second = new ApiServer(router, { log: nullLogger });
  await assert.rejects(second.listenUnix(sock), /another daemon is listening there/);
  // A leftover socket file with nobody behind it (a daemon killed with SIGKILL) is replaced.
  const stalePath = join(dir, 'stale.sock');
  spawnSync(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  assert.ok((await stat(stalePath)).isSocket(), 'the killed listener left its socket file');
  const third = new ApiServer(router, { log: nullLogger });
  await third.listenUnix(stalePath);
  const r = await apiRequest(stalePath, '/_ping');
  assert.equal(r.text(), 'OK');
  await third.close();
});

test('ApiServer.close ends open streams so shutdown never waits on a follower', async (t) => {
  const router = new Router();
  router.get('/follow', (ctx) => {
    ctx.stream('application/json').write('{}\n');
  });
  const { sock, server } = await startServer(t, router);
  const ended = apiRequest(sock, '/follow').then(
    () => 'ended',
    () => 'closed',
  );
  await new Promise((r) => setTimeout(r, 100));
  await server.close();
  assert.ok(['ended', 'closed'].includes(await ended));
});

test('ApiServer.holdUntil answers /_ping at once and queues other requests until ready', async (t) => {
  const router = new Router();
  router.get('/_ping', (ctx) => ctx.text('OK'));
  router.get('/info', (ctx) => ctx.json({ ready: true }));
  const { sock, server } = await startServer(t, router);
  let open!: () => void;
  server.holdUntil(new Promise<void>((r) => (open = r)));
  assert.equal((await apiRequest(sock, '/_ping')).text(), 'OK');
  let answered = false;
  const info = apiRequest(sock, '/v1.45/info').then((r) => {
    answered = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(answered, false, '/info waits for start-up');
  open();
  assert.deepEqual((await info).json(), { ready: true });

  server.holdUntil(Promise.reject(new Error('db is locked')));
  const failed = await apiRequest(sock, '/info');
  assert.equal(failed.status, 503);
  assert.equal(failed.json().message, 'the daemon failed to start: db is locked');
});
