import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from './engine-client.ts';
import { Engine } from './engine.ts';
import { DaemonUnreachableError, isDaemonError } from './daemon-error.ts';
import { encodeFrame, demuxTo } from './streams.ts';
import { Writable } from 'node:stream';

/** A tiny Engine-API-shaped server on a unix socket, recording what it was sent. */
async function serve(t: { after: (fn: () => void | Promise<void>) => void }, apiVersion: string, handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-client-'));
  const socket = join(dir, 'api.sock');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/_ping') {
        res.writeHead(200, { 'API-Version': apiVersion, OSType: 'linux', 'Content-Type': 'text/plain' });
        res.end('OK');
        return;
      }
      handler(req, res, body);
    });
  });
  server.on('upgrade', (req, sock) => {
    seen.push(`UPGRADE ${req.method} ${req.url}`);
    sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    sock.write(encodeFrame(1, 'out'));
    sock.on('data', (d: Buffer) => {
      sock.write(encodeFrame(2, `echo:${d.toString()}`));
    });
    sock.on('end', () => sock.end());
  });
  await new Promise<void>((r) => server.listen(socket, r));
  t.after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { socket, seen };
}

test('EngineClient negotiates the API version down to the daemon and prefixes paths', async (t) => {
  const { socket, seen } = await serve(t, '1.41', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('[{"Id":"abc","Names":["/x"]}]');
  });
  const engine = new Engine({ host: `unix://${socket}` });
  t.after(() => engine.close());
  const list = await engine.containers.list({ all: true, filters: { status: { running: true } } });
  assert.equal(list[0]?.Id, 'abc');
  assert.deepEqual(seen, ['GET /_ping', `GET /v1.41/containers/json?all=1&filters=${encodeURIComponent('{"status":{"running":true}}')}`]);
  assert.equal(await engine.client.apiVersion(), '1.41');
});

test('EngineClient caps the version at its own and honours a fixed version', async (t) => {
  const { socket, seen } = await serve(t, '1.99', (_req, res) => res.end('{}'));
  const a = new EngineClient({ host: socket });
  t.after(() => a.close());
  assert.equal(await a.apiVersion(), '1.45');
  const b = new EngineClient({ host: socket, apiVersion: '1.30' });
  t.after(() => b.close());
  await b.call('POST', '/containers/x/start');
  assert.ok(seen.includes('POST /v1.30/containers/x/start'));
});

test('EngineClient turns JSON errors into DaemonError with the daemon message and code', async (t) => {
  const { socket } = await serve(t, '1.45', (_req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"message":"No such container: nope"}');
  });
  const engine = new Engine({ host: socket });
  t.after(() => engine.close());
  await assert.rejects(engine.containers.inspect('nope'), (err: unknown) => {
    assert.ok(isDaemonError(err));
    assert.equal(err.status, 404);
    assert.equal(err.code, 'not-found');
    assert.equal(err.message, 'No such container: nope');
    return true;
  });
});

test('EngineClient reports a daemon that is down in one sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-client-'));
  try {
    const engine = new Engine({ host: `unix://${join(dir, 'missing.sock')}` });
    await assert.rejects(engine.containers.list(), (err: unknown) => {
      assert.ok(err instanceof DaemonUnreachableError);
      assert.equal(err.message, `Cannot connect to the Berth daemon at unix://${join(dir, 'missing.sock')}. Is the berthd daemon running?`);
      return true;
    });
    engine.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('EngineClient hijacks a connection: output frames and stdin both ways', async (t) => {
  const { socket, seen } = await serve(t, '1.45', (_req, res) => res.end());
  const engine = new Engine({ host: socket });
  t.after(() => engine.close());
  const h = await engine.containers.attach('c1', { stdin: true, stdout: true, stderr: true });
  assert.equal(h.upgraded, true);
  let out = '';
  let err = '';
  const done = demuxTo(
    h.socket,
    new Writable({ write: (c, _e, cb) => ((out += c), cb()) }),
    new Writable({ write: (c, _e, cb) => ((err += c), cb()) }),
  );
  h.socket.write('hi');
  await new Promise((r) => setTimeout(r, 50));
  h.socket.end();
  await done;
  assert.equal(out, 'out');
  assert.equal(err, 'echo:hi');
  assert.ok(seen.includes('UPGRADE POST /v1.45/containers/c1/attach?stream=1&stdin=1&stdout=1&stderr=1'));
});
