import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { JsonSplitter, StreamDemuxer, demuxTo, encodeFrame, jsonStream } from './streams.ts';
import { parseDaemonHost, resolveDaemonHost } from './daemon-host.ts';
import { decodeRegistryAuth, encodeRegistryAuth } from './registry-auth.ts';
import { encodeQuery, compareVersions } from './engine-client.ts';
import { toFilters } from './containers-api.ts';

test('JsonSplitter splits values across chunks and on one line', () => {
  const s = new JsonSplitter();
  assert.deepEqual(s.push('{"a":1}\r\n{"b":"x}'), [{ a: 1 }]);
  assert.deepEqual(s.push('y\\"z"}{"c":[1,{"d":2}]}'), [{ b: 'x}y"z' }, { c: [1, { d: 2 }] }]);
  assert.deepEqual(s.end(), []);
  const t = new JsonSplitter();
  t.push('{"a":');
  assert.throws(() => t.end(), /truncated/);
});

test('jsonStream yields each message of a progress stream', async () => {
  const src = Readable.from([Buffer.from('{"status":"Pulling"}\n{"id":"l1",'), Buffer.from('"status":"Done"}\n')]);
  const got = [];
  for await (const m of jsonStream(src)) got.push(m);
  assert.deepEqual(got, [{ status: 'Pulling' }, { id: 'l1', status: 'Done' }]);
});

test('StreamDemuxer reassembles frames split at any byte', () => {
  const data = Buffer.concat([encodeFrame(1, 'hello '), encodeFrame(2, 'oops'), encodeFrame(1, 'world')]);
  for (let cut = 0; cut <= data.length; cut++) {
    const d = new StreamDemuxer();
    const frames = [...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))];
    assert.deepEqual(
      frames.map((f) => [f.stream, f.data.toString()]),
      [[1, 'hello '], [2, 'oops'], [1, 'world']],
    );
    assert.equal(d.remaining, 0);
  }
});

test('demuxTo writes stdout and stderr apart and fails on system errors', async () => {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((out += c), cb()) });
  const stderr = new Writable({ write: (c, _e, cb) => ((err += c), cb()) });
  const src = new PassThrough();
  src.end(Buffer.concat([encodeFrame(1, 'a'), encodeFrame(2, 'b'), encodeFrame(1, 'c')]));
  await demuxTo(src, stdout, stderr);
  assert.equal(out, 'ac');
  assert.equal(err, 'b');
  const bad = new PassThrough();
  bad.end(encodeFrame(3, 'exec failed\n'));
  await assert.rejects(demuxTo(bad, stdout, stderr), /exec failed/);
});

test('parseDaemonHost and resolveDaemonHost follow docker precedence', () => {
  assert.deepEqual(parseDaemonHost('unix:///run/berth/berth.sock'), { kind: 'unix', path: '/run/berth/berth.sock', url: 'unix:///run/berth/berth.sock' });
  assert.deepEqual(parseDaemonHost('/tmp/x.sock'), { kind: 'unix', path: '/tmp/x.sock', url: 'unix:///tmp/x.sock' });
  assert.deepEqual(parseDaemonHost('tcp://10.0.0.1:2376'), { kind: 'tcp', host: '10.0.0.1', port: 2376, url: 'tcp://10.0.0.1:2376' });
  assert.deepEqual(parseDaemonHost('tcp://[::1]:99'), { kind: 'tcp', host: '::1', port: 99, url: 'tcp://[::1]:99' });
  assert.throws(() => parseDaemonHost('ssh://x'), /unsupported protocol/);
  assert.throws(() => parseDaemonHost('tcp://h:99999'), /invalid port/);
  assert.equal(resolveDaemonHost(undefined, {}), 'unix:///run/berth/berth.sock');
  assert.equal(resolveDaemonHost(undefined, { DOCKER_HOST: 'unix:///d' }), 'unix:///d');
  assert.equal(resolveDaemonHost(undefined, { DOCKER_HOST: 'unix:///d', BERTH_HOST: 'unix:///b' }), 'unix:///b');
  assert.equal(resolveDaemonHost('unix:///f', { BERTH_HOST: 'unix:///b' }), 'unix:///f');
});

test('registry auth header round-trips as base64url JSON', () => {
  const h = encodeRegistryAuth({ username: 'u', password: 'p?>', serveraddress: 'localhost:5000' });
  assert.doesNotMatch(h, /[+/=]/);
  assert.deepEqual(decodeRegistryAuth(h), { username: 'u', password: 'p?>', serveraddress: 'localhost:5000' });
});

test('encodeQuery, toFilters and compareVersions', () => {
  assert.equal(encodeQuery({ all: true, size: false, limit: 3, x: undefined, names: ['a', 'b'] }), '?all=1&size=0&limit=3&names=a&names=b');
  assert.deepEqual(toFilters(['status=exited', 'status=created', 'label=a=b']), { status: { exited: true, created: true }, label: { 'a=b': true } });
  assert.equal(encodeQuery({ filters: toFilters(['name=web']) }), '?filters=' + encodeURIComponent('{"name":{"web":true}}'));
  assert.equal(compareVersions('1.9', '1.41'), -1);
  assert.equal(compareVersions('1.45', '1.45'), 0);
  assert.equal(compareVersions('1.46', '1.45'), 1);
});
