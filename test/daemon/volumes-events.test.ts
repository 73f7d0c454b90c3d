import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';

/** Opens /events and collects lines until `count` arrived or the stream ends. */
function collectEvents(d: TestDaemon, query: string, count: number): { done: Promise<any[]>; close: () => void } {
  const got: any[] = [];
  let close = () => {};
  const done = new Promise<any[]>((resolve, reject) => {
    const req = request({ socketPath: d.socket, path: `/v1.45/events${query}` }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        buf += s;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          got.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          if (got.length >= count) {
            req.destroy();
            resolve(got);
          }
        }
      });
      res.on('end', () => resolve(got));
      res.on('error', () => resolve(got));
    });
    req.on('error', (err) => (got.length >= count ? resolve(got) : reject(err)));
    req.end();
    close = () => req.destroy();
  });
  return { done, close };
}

test('volume API: create, inspect, list with filters, remove, prune, with docker shapes and errors', async (t) => {
  const d = await startDaemon(t);
  const created = await d.request('/v1.45/volumes/create', { method: 'POST', body: { Name: 'web', Labels: { app: 'web' } } });
  assert.equal(created.status, 201);
  const v = created.json();
  assert.equal(v.Name, 'web');
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.equal(v.Mountpoint, join(d.dataRoot, 'volumes', 'web', '_data'));
  assert.deepEqual(v.Labels, { app: 'web' });
  assert.ok(statSync(v.Mountpoint).isDirectory());

  const anon = (await d.request('/v1.45/volumes/create', { method: 'POST', body: {} })).json();
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.deepEqual(anon.Labels, { 'com.docker.volume.anonymous': '' });

  const inspect = await d.request('/v1.45/volumes/web');
  assert.deepEqual(inspect.json(), v);
  const list = (await d.request('/v1.45/volumes')).json();
  assert.equal(list.Volumes.length, 2);
  const f = encodeURIComponent(JSON.stringify({ label: { 'app=web': true } }));
  assert.deepEqual(
    (await d.request(`/v1.45/volumes?filters=${f}`)).json().Volumes.map((x: any) => x.Name),
    ['web'],
  );
  const dangling = encodeURIComponent(JSON.stringify({ dangling: ['true'] }));
  assert.equal((await d.request(`/v1.45/volumes?filters=${dangling}`)).json().Volumes.length, 2);

  const bad = await d.request('/v1.45/volumes/create', { method: 'POST', body: { Name: 'no/slash' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /includes invalid characters for a local volume name/);
  const badFilter = await d.request(`/v1.45/volumes?filters=${encodeURIComponent('{"colour":["red"]}')}`);
  assert.equal(badFilter.status, 400);
  const missing = await d.request('/v1.45/volumes/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { message: 'get nope: no such volume' });

  // API >= 1.42: prune takes anonymous volumes only unless all=true.
  const prune = (await d.request('/v1.45/volumes/prune', { method: 'POST' })).json();
  assert.deepEqual(prune.VolumesDeleted, [anon.Name]);
  const pruneAll = (await d.request(`/v1.45/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`, { method: 'POST' })).json();
  assert.deepEqual(pruneAll.VolumesDeleted, ['web']);
  assert.equal(existsSync(v.Mountpoint), false);

  await d.request('/v1.45/volumes/create', { method: 'POST', body: { Name: 'gone' } });
  assert.equal((await d.request('/v1.45/volumes/gone', { method: 'DELETE' })).status, 204);
  assert.equal((await d.request('/v1.45/volumes/gone', { method: 'DELETE' })).status, 404);
  assert.equal((await d.request('/v1.45/volumes/gone?force=1', { method: 'DELETE' })).status, 204);

  const df = (await d.request('/v1.45/system/df')).json();
  assert.deepEqual(df.Volumes, []);
  assert.deepEqual(df.BuildCache, []);
});

test('/events streams live volume events with filters and replays the past with since/until', async (t) => {
  const d = await startDaemon(t);
  const before = Date.now() / 1000;
  const typeFilter = encodeURIComponent(JSON.stringify({ type: ['volume'], event: ['create'] }));
  const live = collectEvents(d, `?filters=${typeFilter}`, 2);
  // Give the subscription a moment to be registered before publishing.
  for (let i = 0; i < 100 && (await d.request('/info')).json().NEventsListener < 1; i++) await new Promise((r) => setTimeout(r, 20));
  await d.request('/v1.45/volumes/create', { method: 'POST', body: { Name: 'ev1' } });
  await d.request('/v1.45/volumes/ev1', { method: 'DELETE' });
  await d.request('/v1.45/volumes/create', { method: 'POST', body: { Name: 'ev2', Labels: { team: 'a' } } });
  const events = await live.done;
  assert.deepEqual(events.map((e) => `${e.Type} ${e.Action} ${e.Actor.ID}`), ['volume create ev1', 'volume create ev2']);
  assert.equal(events[0].scope, 'local');
  assert.equal(typeof events[0].timeNano, 'number');
  assert.ok(events[0].time >= Math.floor(before));

  // since + until in the past: the buffered events, then the stream ends by itself.
  const until = (Date.now() / 1000 + 0.001).toFixed(3);
  const past = await collectEvents(d, `?since=${before.toFixed(3)}&until=${until}`, 100).done;
  const actions = past.filter((e) => e.Type === 'volume').map((e) => `${e.Action} ${e.Actor.ID}`);
  assert.deepEqual(actions, ['create ev1', 'destroy ev1', 'create ev2']);
  const labelled = encodeURIComponent(JSON.stringify({ label: ['team=a'] }));
  const byLabel = await collectEvents(d, `?since=${before.toFixed(3)}&until=${until}&filters=${labelled}`, 100).done;
  assert.deepEqual(byLabel.map((e) => e.Actor.ID), []);
  const bad = await d.request('/v1.45/events?since=yesterday');
  assert.equal(bad.status, 400);
});
