import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '../api/types/index.ts';
import { parseFilters } from '../api/server/index.ts';
import { EventsService, eventMatches } from './events-service.ts';

function ev(type: EventMessage['Type'], action: string, id: string, attributes: Record<string, string> = {}): EventMessage {
  return { Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local', time: 1, timeNano: 1e9 };
}

test('eventMatches applies docker filter semantics', () => {
  const start = ev('container', 'start', 'abcdef123', { name: 'web', image: 'busybox:latest', tier: 'front' });
  const exec = ev('container', 'exec_start: sh -c true', 'abcdef123', { name: 'web' });
  const vol = ev('volume', 'create', 'data', { driver: 'local' });
  const f = (s: string) => parseFilters(s);
  assert.equal(eventMatches(start, f('{"container":["web"]}')), true);
  assert.equal(eventMatches(start, f('{"container":["abc"]}')), true, 'id prefix');
  assert.equal(eventMatches(vol, f('{"container":["web"]}')), false, 'a container filter excludes other types');
  assert.equal(eventMatches(exec, f('{"event":["exec_start"]}')), true, 'action prefix before the colon');
  assert.equal(eventMatches(start, f('{"image":["busybox"]}')), true, 'image name without tag');
  assert.equal(eventMatches(start, f('{"label":["tier=front"]}')), true);
  assert.equal(eventMatches(start, f('{"label":["tier=back"]}')), false);
  assert.equal(eventMatches(vol, f('{"type":["volume"],"volume":["data"]}')), true);
  assert.equal(eventMatches(vol, f('{"type":["container","network"]}')), false);
});

test('EventsService.subscribe replays since, follows live events and stops at until', async () => {
  const svc = new EventsService({ capacity: 3 });
  const t0 = Date.now();
  svc.publish({ type: 'volume', action: 'create', id: 'v0' });
  for (let i = 1; i <= 3; i++) svc.publish({ type: 'volume', action: 'create', id: `v${i}` });
  assert.deepEqual(svc.recent().map((e) => e.Actor.ID), ['v1', 'v2', 'v3'], 'the ring buffer keeps the last 3');

  const ac = new AbortController();
  const got: string[] = [];
  const reading = (async () => {
    for await (const e of svc.subscribe({ filters: new Map([['type', ['volume']]]), since: t0 - 1, signal: ac.signal })) {
      got.push(e.Actor.ID);
      if (got.length === 5) ac.abort();
    }
  })();
  await new Promise((r) => setImmediate(r));
  assert.equal(svc.listeners, 1);
  svc.publish({ type: 'container', action: 'start', id: 'c' });
  svc.publish({ type: 'volume', action: 'destroy', id: 'v4' });
  svc.publish({ type: 'volume', action: 'destroy', id: 'v5' });
  await reading;
  assert.deepEqual(got, ['v1', 'v2', 'v3', 'v4', 'v5']);
  assert.equal(svc.listeners, 0);

  const past: string[] = [];
  for await (const e of svc.subscribe({ filters: new Map(), since: 0, until: Date.now(), signal: new AbortController().signal })) past.push(e.Actor.ID);
  assert.deepEqual(past, ['c', 'v4', 'v5'], 'until in the past: the buffered events, then the end');
  const short: string[] = [];
  for await (const e of svc.subscribe({ filters: new Map(), until: Date.now() + 50, signal: new AbortController().signal })) short.push(e.Actor.ID);
  assert.deepEqual(short, [], 'a near until ends the live stream by itself');
});

test('EventsService.publish adds the legacy status/id/from fields for container events', () => {
  const svc = new EventsService();
  const got: EventMessage[] = [];
  svc.publisherFor('container').publish({ action: 'die', id: 'c1', attributes: { image: 'busybox', exitCode: '0' } });
  got.push(...svc.recent());
  assert.equal(got[0]?.status, 'die');
  assert.equal(got[0]?.id, 'c1');
  assert.equal(got[0]?.from, 'busybox');
  assert.equal(got[0]?.Type, 'container');
});
