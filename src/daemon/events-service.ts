import { closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import type { EventMessage } from '../api/types/index.ts';
import type { EventsBackend, EventsQuery, Filters } from '../api/server/index.ts';
import { messageOf, nullLogger, type Logger } from '../lib/index.ts';

export type EventType = EventMessage['Type'];

/** What a component publishes: the daemon adds time, scope and the wire shape. */
export interface DaemonEvent {
  type: EventType;
  action: string;
  /** The actor: container id, image id or name, volume name, network id ... */
  id: string;
  attributes?: Record<string, string>;
}

/** The publishing side handed to components (they cannot import daemon, so this is structural). */
export interface EventPublisher {
  publish(event: DaemonEvent): void;
}

function fuzzy(values: string[] | undefined, ...candidates: (string | undefined)[]): boolean {
  if (!values?.length) return true;
  return values.some((v) => candidates.some((c) => c !== undefined && c !== '' && (c === v || c.startsWith(v))));
}

function exact(values: string[] | undefined, ...candidates: (string | undefined)[]): boolean {
  if (!values?.length) return true;
  return values.some((v) => candidates.includes(v));
}

function stripTag(image: string): string {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(0, colon) : base;
}

/** docker's events filter: every given filter kind must match; values of one kind are alternatives. */
export function eventMatches(ev: EventMessage, filters: Filters): boolean {
  const a = ev.Actor.Attributes;
  const action = ev.Action.split(':')[0]!.trim();
  if (!exact(filters.get('event'), ev.Action, action)) return false;
  if (!exact(filters.get('type'), ev.Type)) return false;
  if (!exact(filters.get('scope'), ev.scope)) return false;
  const byType = (t: EventType, key: string) => {
    const values = filters.get(key);
    if (!values?.length) return true;
    return ev.Type === t && fuzzy(values, ev.Actor.ID, a['name']);
  };
  for (const t of ['container', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config'] as const) {
    if (!byType(t, t)) return false;
  }
  const images = filters.get('image');
  if (images?.length) {
    const subject = ev.Type === 'image' ? [ev.Actor.ID, a['name']] : ev.Type === 'container' ? [a['image']] : [];
    const ok = images.some((want) =>
      subject.some((s) => s !== undefined && s !== '' && (s === want || stripTag(s) === stripTag(want) || s.startsWith(want))),
    );
    if (!ok) return false;
  }
  const labels = filters.get('label');
  if (labels?.length) {
    for (const l of labels) {
      const eq = l.indexOf('=');
      const k = eq < 0 ? l : l.slice(0, eq);
      if (!(k in a) || (eq >= 0 && a[k] !== l.slice(eq + 1))) return false;
    }
  }
  return true;
}

/** The event's time in whole milliseconds (what since/until are compared with). */
function eventMs(e: EventMessage): number {
  return Math.floor(e.timeNano / 1e6);
}

interface Subscriber {
  push(ev: EventMessage): void;
}

export interface EventsServiceOptions {
  /** How many recent events are kept for `since` (default 1024). */
  capacity?: number;
  /**
   * A file that keeps the recent events across daemon restarts: one JSON line per event,
   * appended (no fsync: the page cache outlives a killed daemon), compacted to the last
   * `capacity` events when it holds twice as many.
   */
  journal?: string;
  log?: Logger;
}

/**
 * The daemon's event bus: every component publishes here; `/events` subscribers get the recent
 * past (a ring buffer of `capacity` events, for `since`, reloaded from the journal after a
 * restart) and then live events. Publishing never throws: a failing subscriber or journal
 * write is logged and the publisher carries on.
 */
export class EventsService implements EventsBackend, EventPublisher {
  private readonly buffer: EventMessage[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private readonly capacity: number;
  private readonly log: Logger;
  private readonly journal: string | undefined;
  private fd: number | undefined;
  /** Lines in the journal file (compacted at twice the capacity). */
  private journalLines = 0;
  private journalFailed = false;

  constructor(options: EventsServiceOptions = {}) {
    this.capacity = options.capacity ?? 1024;
    this.log = options.log ?? nullLogger;
    this.journal = options.journal;
    if (this.journal) this.loadJournal(this.journal);
  }

  private loadJournal(path: string): void {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('read events journal', { path, error: messageOf(err) });
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const ev = JSON.parse(line) as EventMessage;
        if (typeof ev.timeNano === 'number' && typeof ev.Type === 'string') this.buffer.push(ev);
      } catch {
        // a line cut short by a crash
      }
    }
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
    this.compact();
  }

  /** Rewrites the journal with the buffered events (temp file + rename) and reopens it for appending. */
  private compact(): void {
    if (!this.journal) return;
    try {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      const tmp = `${this.journal}.tmp`;
      writeFileSync(tmp, this.buffer.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
      renameSync(tmp, this.journal);
      this.fd = openSync(this.journal, 'a', 0o600);
      this.journalLines = this.buffer.length;
    } catch (err) {
      this.journalError(err);
    }
  }

  private journalError(err: unknown): void {
    if (!this.journalFailed) this.log.warn('events journal write failed: recent events will not survive a restart', { path: this.journal, error: messageOf(err) });
    this.journalFailed = true;
  }

  private append(msg: EventMessage): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, JSON.stringify(msg) + '\n');
      this.journalFailed = false;
      if (++this.journalLines >= 2 * this.capacity) this.compact();
    } catch (err) {
      this.journalError(err);
    }
  }

  /** Closes the journal (the daemon is stopping). */
  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // closing is best effort
    }
    this.fd = undefined;
  }

  publish(event: DaemonEvent): void {
    const now = Date.now();
    const nano = BigInt(now) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const attributes = { ...event.attributes };
    const msg: EventMessage = {
      Type: event.type,
      Action: event.action,
      Actor: { ID: event.id, Attributes: attributes },
      scope: 'local',
      time: Math.floor(now / 1000),
      timeNano: Number(nano),
    };
    if (event.type === 'container' || event.type === 'image') {
      msg.status = event.action;
      msg.id = event.id;
      if (event.type === 'container' && attributes['image']) msg.from = attributes['image'];
    }
    this.buffer.push(msg);
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
    this.append(msg);
    for (const s of this.subscribers) {
      try {
        s.push(msg);
      } catch (err) {
        this.log.error('event subscriber failed', { action: msg.Action, id: msg.Actor.ID, error: messageOf(err) });
      }
    }
  }

  /** A publisher for one event type, in the `{action, id, attributes}` shape components use. */
  publisherFor(type: EventType): { publish(e: { action: string; id: string; attributes?: Record<string, string> }): void } {
    return { publish: (e) => this.publish({ type, ...e }) };
  }

  /** How many `/events` streams are open (`NEventsListener` in info). */
  get listeners(): number {
    return this.subscribers.size;
  }

  /** Buffered events in [since, until] (ms), for tests and replay. */
  recent(since = 0, until = Infinity): EventMessage[] {
    return this.buffer.filter((e) => eventMs(e) >= since && eventMs(e) <= until);
  }

  async *subscribe(query: EventsQuery): AsyncIterable<EventMessage> {
    const { filters, since, until, signal } = query;
    const queue: EventMessage[] = [];
    let wake: (() => void) | undefined;
    let done = signal.aborted;
    const stop = () => {
      done = true;
      wake?.();
    };
    const sub: Subscriber = {
      push: (ev) => {
        if (!eventMatches(ev, filters)) return;
        queue.push(ev);
        wake?.();
      },
    };
    const now = Date.now();
    // Past events first, then live: subscribe before copying so nothing falls in between.
    const live = until === undefined || until > now;
    if (live) this.subscribers.add(sub);
    signal.addEventListener('abort', stop, { once: true });
    const timer = live && until !== undefined ? setTimeout(stop, until - now) : undefined;
    try {
      const replayed = new Set<EventMessage>();
      if (since !== undefined) {
        for (const ev of this.recent(since, until ?? Infinity)) {
          if (!eventMatches(ev, filters)) continue;
          replayed.add(ev);
          yield ev;
        }
      }
      if (!live) return;
      while (!done) {
        const ev = queue.shift();
        if (ev) {
          if (replayed.has(ev)) continue;
          if (until !== undefined && eventMs(ev) > until) return;
          yield ev;
          continue;
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      this.subscribers.delete(sub);
      signal.removeEventListener('abort', stop);
      if (timer) clearTimeout(timer);
    }
  }
}
