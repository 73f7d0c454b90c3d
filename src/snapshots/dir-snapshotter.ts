import type Database from 'better-sqlite3';
import { rm } from 'node:fs/promises';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, alreadyExists, failedPrecondition, invalidArgument, notFound, wrap, randomHex } from '../lib/index.ts';
import { removeTree, type Mount } from '../sys/index.ts';
import type { Info, Kind, SnapshotOptions, Snapshotter, Usage, WalkFilter } from './snapshotter.ts';
import { diskUsage } from './usage.ts';

/** A component's append-only migrations runner (src/metadata's `migrate`), injected by the caller. */
export type MigrateFn = (db: Database.Database, component: string, migrations: readonly string[]) => number;

export interface DirSnapshotterOptions {
  /** Data root: each implementation keeps its snapshots in a folder below it. */
  root: string;
  /** The metadata database (src/metadata openMetadataDb) holding the snapshot records. */
  db: Database.Database;
  /** src/metadata's migrate; without it the (idempotent) schema is applied directly. */
  migrate?: MigrateFn;
}

function schema(table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('active', 'view', 'committed')),
    parent TEXT REFERENCES ${table}(name),
    labels TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    size INTEGER,
    inodes INTEGER
  );
  CREATE INDEX IF NOT EXISTS ${table}_parent ON ${table}(parent);`,
  ];
}

export interface SnapshotRow {
  id: number;
  name: string;
  kind: Kind;
  parent: string | null;
  labels: string;
  created: string;
  updated: string;
  size: number | null;
  inodes: number | null;
}

function toInfo(r: SnapshotRow): Info {
  const info: Info = {
    kind: r.kind,
    name: r.name,
    labels: JSON.parse(r.labels) as Record<string, string>,
    created: new Date(r.created),
    updated: new Date(r.updated),
  };
  if (r.parent !== null) info.parent = r.parent;
  return info;
}

function checkName(what: string, s: string): void {
  if (s.length === 0 || s.length > 1024 || s.includes('\0')) throw invalidArgument(`invalid snapshot ${what} ${JSON.stringify(s)}`);
}

/**
 * What directory-backed snapshotters share: each snapshot is a directory `<dir>/<id>/fs` (plus
 * `work` for active ones); records live in the metadata database, in a table per
 * implementation. Directories are created under a temporary name and renamed into place inside
 * the database transaction that records them, and removed by renaming out first, so a crash at
 * any point leaves either a complete snapshot or a directory `cleanup()` deletes. Subclasses say
 * how a snapshot is mounted (mountsOf) and how a new one starts out (populate).
 */
export abstract class DirSnapshotter implements Snapshotter {
  readonly root: string;
  readonly dir: string;
  protected readonly db: Database.Database;
  protected readonly table: string;

  constructor(options: DirSnapshotterOptions, layout: { table: string; folder: string }) {
    this.root = options.root;
    this.dir = join(options.root, layout.folder);
    this.db = options.db;
    this.table = layout.table;
    const migrations = schema(layout.table);
    if (options.migrate) options.migrate(this.db, layout.table, migrations);
    else for (const m of migrations) this.db.exec(m);
  }

  /** How an active or view snapshot is mounted; `lowers` are its parents' layer dirs, nearest first. */
  protected abstract mountsFor(r: SnapshotRow, lowers: string[]): Mount[];

  /** Fills a new snapshot's (still temporary) layer dir; `parentDirs` nearest first. Default: empty. */
  protected async populate(_fs: string, _kind: Kind, _parentDirs: string[]): Promise<void> {}

  private row(key: string): SnapshotRow | undefined {
    return this.db.prepare(`SELECT * FROM ${this.table} WHERE name = ?`).get(key) as SnapshotRow | undefined;
  }

  private mustRow(key: string, action: string): SnapshotRow {
    const r = this.row(key);
    if (!r) throw notFound(`${action} snapshot ${JSON.stringify(key)}: not found`);
    return r;
  }

  protected fsDir(id: number): string {
    return join(this.dir, String(id), 'fs');
  }

  protected workDir(id: number): string {
    return join(this.dir, String(id), 'work');
  }

  /** The ids of the committed chain below `parent`, nearest first. */
  protected chain(parent: string | null): number[] {
    const ids: number[] = [];
    let p = parent;
    while (p !== null) {
      const r = this.row(p);
      if (!r) throw notFound(`snapshot parent ${JSON.stringify(p)}: not found`);
      ids.push(r.id);
      p = r.parent;
    }
    return ids;
  }

  async stat(key: string): Promise<Info> {
    return toInfo(this.mustRow(key, 'stat'));
  }

  async update(info: Pick<Info, 'name' | 'labels'>): Promise<Info> {
    const r = this.mustRow(info.name, 'update');
    this.db
      .prepare(`UPDATE ${this.table} SET labels = ?, updated = ? WHERE id = ?`)
      .run(JSON.stringify(info.labels ?? {}), new Date().toISOString(), r.id);
    return toInfo(this.mustRow(info.name, 'update'));
  }

  async usage(key: string): Promise<Usage> {
    const r = this.mustRow(key, 'usage');
    if (r.kind === 'committed' && r.size !== null && r.inodes !== null) return { size: r.size, inodes: r.inodes };
    return diskUsage(this.fsDir(r.id));
  }

  async layerDir(key: string): Promise<string> {
    return this.fsDir(this.mustRow(key, 'locate').id);
  }

  async mounts(key: string): Promise<Mount[]> {
    const r = this.mustRow(key, 'mounts of');
    if (r.kind === 'committed') throw failedPrecondition(`mounts of snapshot ${JSON.stringify(key)}: it is committed (make a view or an active snapshot of it)`);
    return this.mountsOf(r);
  }

  private mountsOf(r: SnapshotRow): Mount[] {
    return this.mountsFor(r, this.chain(r.parent).map((id) => this.fsDir(id)));
  }

  async prepare(key: string, parent?: string, options: SnapshotOptions = {}): Promise<Mount[]> {
    return this.create('active', key, parent, options);
  }

  async view(key: string, parent?: string, options: SnapshotOptions = {}): Promise<Mount[]> {
    return this.create('view', key, parent, options);
  }

  private async create(kind: Kind, key: string, parent: string | undefined, options: SnapshotOptions): Promise<Mount[]> {
    const action = kind === 'active' ? 'prepare' : 'view';
    checkName('key', key);
    // three mkdirs: made here, each costs less than a thread-pool round trip
    const temp = join(this.dir, `new-${randomHex(8)}`);
    mkdirSync(join(temp, 'fs'), { recursive: true, mode: 0o755 });
    if (kind === 'active') mkdirSync(join(temp, 'work'), { mode: 0o700 });
    try {
      if (parent !== undefined) {
        const p = this.row(parent);
        if (p?.kind === 'committed') await this.populate(join(temp, 'fs'), kind, this.chain(parent).map((id) => this.fsDir(id)));
      }
      const row = this.db.transaction(() => {
        if (this.row(key)) throw alreadyExists(`${action} snapshot ${JSON.stringify(key)}: already exists`);
        if (parent !== undefined) {
          const p = this.row(parent);
          if (!p) throw notFound(`${action} snapshot ${JSON.stringify(key)}: parent ${JSON.stringify(parent)} not found`);
          if (p.kind !== 'committed') throw invalidArgument(`${action} snapshot ${JSON.stringify(key)}: parent ${JSON.stringify(parent)} is not committed`);
        }
        const now = new Date().toISOString();
        const info = this.db
          .prepare(`INSERT INTO ${this.table} (name, kind, parent, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(key, kind, parent ?? null, JSON.stringify(options.labels ?? {}), now, now);
        const id = Number(info.lastInsertRowid);
        const final = join(this.dir, String(id));
        // A directory here was left by a crash before its record committed: stale.
        if (existsSync(final)) rmSync(final, { recursive: true, force: true });
        renameSync(temp, final);
        return this.row(key)!;
      }).immediate();
      return this.mountsOf(row);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      if (err instanceof BerthError) throw err;
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw alreadyExists(`${action} snapshot ${JSON.stringify(key)}: already exists`);
      throw wrap(err, `${action} snapshot ${JSON.stringify(key)}`);
    }
  }

  async commit(name: string, key: string, options: SnapshotOptions = {}): Promise<void> {
    checkName('name', name);
    const r = this.mustRow(key, 'commit');
    if (r.kind !== 'active') throw failedPrecondition(`commit snapshot ${JSON.stringify(key)}: it is ${r.kind}, not active`);
    const usage = await diskUsage(this.fsDir(r.id));
    this.db.transaction(() => {
      const again = this.row(key);
      if (!again || again.id !== r.id || again.kind !== 'active') throw failedPrecondition(`commit snapshot ${JSON.stringify(key)}: changed concurrently`);
      if (this.row(name)) throw alreadyExists(`commit snapshot ${JSON.stringify(key)} as ${JSON.stringify(name)}: already exists`);
      const labels = { ...(JSON.parse(r.labels) as Record<string, string>), ...(options.labels ?? {}) };
      this.db
        .prepare(`UPDATE ${this.table} SET name = ?, kind = 'committed', labels = ?, updated = ?, size = ?, inodes = ? WHERE id = ?`)
        .run(name, JSON.stringify(labels), new Date().toISOString(), usage.size, usage.inodes, r.id);
    }).immediate();
    // The work dir is only needed while the snapshot is an overlay upper.
    await rm(this.workDir(r.id), { recursive: true, force: true });
  }

  async remove(key: string, options: { background?: boolean } = {}): Promise<void> {
    const r = this.mustRow(key, 'remove');
    const doomed = join(this.dir, `rm-${r.id}`);
    this.db.transaction(() => {
      const child = this.db.prepare(`SELECT name FROM ${this.table} WHERE parent = ? LIMIT 1`).get(r.name) as { name: string } | undefined;
      if (child) throw failedPrecondition(`remove snapshot ${JSON.stringify(key)}: it is the parent of ${JSON.stringify(child.name)}`);
      this.db.prepare(`DELETE FROM ${this.table} WHERE id = ?`).run(r.id);
      const dir = join(this.dir, String(r.id));
      if (existsSync(dir)) renameSync(dir, doomed);
    }).immediate();
    const removal = removeTree(doomed);
    if (!options.background) return removal;
    // the directory is already renamed out of the way; a failure leaves it for cleanup()
    removal.catch(() => undefined);
  }

  async walk(fn: (info: Info) => void | Promise<void>, filter: WalkFilter = {}): Promise<void> {
    const rows = this.db.prepare(`SELECT * FROM ${this.table} ORDER BY id`).all() as SnapshotRow[];
    for (const r of rows) {
      if (filter.kind && r.kind !== filter.kind) continue;
      if (filter.parent !== undefined && r.parent !== filter.parent) continue;
      const info = toInfo(r);
      if (filter.labels) {
        const ok = Object.entries(filter.labels).every(([k, v]) => k in info.labels && (v === '' || info.labels[k] === v));
        if (!ok) continue;
      }
      await fn(info);
    }
  }

  async cleanup(): Promise<void> {
    if (!existsSync(this.dir)) return;
    // Under the database write lock no other process is between recording a snapshot and
    // renaming its directory into place, so every numeric directory without a record is garbage.
    const doomed = this.db.transaction(() => {
      const ids = new Set((this.db.prepare(`SELECT id FROM ${this.table}`).all() as { id: number }[]).map((r) => String(r.id)));
      const out: string[] = [];
      for (const n of readdirSync(this.dir)) {
        const path = join(this.dir, n);
        if (/^\d+$/.test(n) && !ids.has(n)) {
          const to = join(this.dir, `rm-${n}-${randomHex(4)}`);
          renameSync(path, to);
          out.push(to);
        } else if (n.startsWith('rm-')) {
          out.push(path);
        } else if (n.startsWith('new-')) {
          // a prepare in flight (before its transaction) is young; a crashed one is not
          try {
            if (Date.now() - lstatSync(path).mtimeMs > 60_000) out.push(path);
          } catch {
            // gone meanwhile
          }
        }
      }
      return out;
    }).immediate();
    for (const d of doomed) await rm(d, { recursive: true, force: true });
  }

  close(): void {
    // The database belongs to the caller.
  }
}
