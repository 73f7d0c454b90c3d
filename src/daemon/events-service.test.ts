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

test('EventsService.publish survives a subscriber that throws, and the others still get the event', async () => {
  const errors: string[] = [];
  const log = { ...(await import('../lib/index.ts')).nullLogger, error: (msg: string) => void errors.push(msg) };
  const svc = new EventsService({ log });
  const broken = { get: () => { throw new Error('filter blew up'); } } as unknown as Map<string, string[]>;
  const ac = new AbortController();
  const bad = svc.subscribe({ filters: broken, signal: ac.signal })[Symbol.asyncIterator]();
  void bad.next().catch(() => undefined);
  const got: string[] = [];
  const good = (async () => {
    for await (const e of svc.subscribe({ filters: new Map(), signal: ac.signal })) {
      got.push(e.Actor.ID);
      ac.abort();
    }
  })();
  await new Promise((r) => setImmediate(r));
  assert.doesNotThrow(() => svc.publish({ type: 'volume', action: 'create', id: 'v1' }));
  await good;
  assert.deepEqual(got, ['v1']);
  assert.deepEqual(errors, ['event subscriber failed']);
});

test('EventsService journal brings the recent events back in a new instance and stays bounded', async () => {
  const { mkdtempSync, readFileSync, appendFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'berth-events-'));
  try {
    const journal = join(dir, 'events.jsonl');
    const first = new EventsService({ capacity: 4, journal });
    for (let i = 0; i < 11; i++) first.publish({ type: 'container', action: 'start', id: `c${i}` });
    first.close();
    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.length < 8, `compacted at twice the capacity (${lines.length} lines)`);
    appendFileSync(journal, '{"Type":"container","Act'); // a line cut short by a crash
    const second = new EventsService({ capacity: 4, journal });
    assert.deepEqual(second.recent().map((e) => e.Actor.ID), ['c7', 'c8', 'c9', 'c10']);
    second.publish({ type: 'container', action: 'die', id: 'c11' });
    second.close();
    const third = new EventsService({ capacity: 4, journal });
    assert.deepEqual(third.recent().map((e) => `${e.Action} ${e.Actor.ID}`), ['start c8', 'start c9', 'start c10', 'die c11']);
    third.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
