import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from './router.ts';
import { parseFilters, matchLabels } from './filters.ts';
import { MuxDecoder, muxFrame, StdStream } from './streams.ts';
import { compareApiVersions, splitVersionedPath } from './api-version.ts';

test('Router.match prefers literal routes over rest parameters', () => {
  const r = new Router();
  const h = () => {};
  r.get('/images/:name*/json', h).get('/images/json', h).get('/images/get', h).get('/images/:name*/get', h);
  r.delete('/images/:name*', h);
  assert.equal(r.match('GET', '/images/json')?.template, '/images/json');
  assert.equal(r.match('GET', '/images/get')?.template, '/images/get');
  assert.deepEqual(r.match('GET', '/images/a/b/get')?.params, { name: 'a/b' });
  assert.deepEqual(r.match('GET', '/images/json/json')?.params, { name: 'json' });
  assert.deepEqual(r.match('DELETE', '/images/reg:5000/x/y:1')?.params, { name: 'reg:5000/x/y:1' });
  assert.equal(r.match('POST', '/images/json'), undefined);
  assert.equal(r.match('GET', '/images'), undefined);
});

test('splitVersionedPath strips the version and defaults to the maximum', () => {
  assert.deepEqual(splitVersionedPath('/v1.24/info'), { version: '1.24', path: '/info' });
  assert.deepEqual(splitVersionedPath('/info'), { version: '1.45', path: '/info' });
  assert.ok(compareApiVersions('1.9', '1.24') < 0);
  assert.ok(compareApiVersions('1.45', '1.45') === 0);
  assert.throws(() => splitVersionedPath('/v1.23/info'), /too old/);
});

test('parseFilters accepts map and list forms and rejects junk', () => {
  assert.deepEqual([...parseFilters('{"label":{"a":true},"name":["n"]}')], [['label', ['a']], ['name', ['n']]]);
  assert.throws(() => parseFilters('nope'), /not valid JSON/);
  assert.throws(() => parseFilters('[]'), /not an object/);
  assert.equal(parseFilters(null).size, 0);
});

test('matchLabels checks keys and key=value pairs', () => {
  assert.equal(matchLabels({ a: '1', b: '' }, ['a', 'b=']), true);
  assert.equal(matchLabels({ a: '1' }, ['a=2']), false);
  assert.equal(matchLabels(null, ['a']), false);
  assert.equal(matchLabels(null, []), true);
});

test('MuxDecoder reassembles frames split across chunks', () => {
  const data = Buffer.concat([muxFrame(StdStream.stdout, 'hello'), muxFrame(StdStream.stderr, 'err!')]);
  assert.deepEqual([...data.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 5]);
  const d = new MuxDecoder();
  const got = [...d.push(data.subarray(0, 3)), ...d.push(data.subarray(3, 15)), ...d.push(data.subarray(15))];
  assert.deepEqual(
    got.map((f) => [f.stream, f.payload.toString()]),
    [
      [1, 'hello'],
      [2, 'err!'],
    ],
  );
  assert.equal(d.buffered, 0);
});
