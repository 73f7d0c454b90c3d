import { alreadyExists, invalidArgument, notFound, randomHex } from '../lib/index.ts';
import { migrate, withTransaction, type MetadataDb } from '../metadata/index.ts';

/**
 * Leases keep resources alive while work is in progress (containerd's leases): a pull takes a
 * lease, adds each blob's digest to it *before* writing the blob, creates the image record,
 * then deletes the lease. GC treats every resource of a live lease as a root, so nothing a pull
 * or build is still assembling is collected under its feet. A lease with an expiry lapses on
 * its own (a crashed pull's lease does not pin garbage forever).
 */
export interface Lease {
  id: string;
  createdAt: Date;
  expiresAt?: Date;
  labels: Record<string, string>;
}

/** `content`: a blob digest; `snapshot`: a snapshot key/name; `ingest`: an ingest ref. */
export type LeaseResourceType = 'content' | 'snapshot' | 'ingest';

export interface LeaseResource {
  type: LeaseResourceType;
  id: string;
}

export interface LeasedResources {
  content: Set<string>;
  snapshots: Set<string>;
  ingests: Set<string>;
}

const migrations = [
  `CREATE TABLE leases (
    id TEXT PRIMARY KEY,
    labels TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    expires_at TEXT
  );
  CREATE TABLE lease_resources (
    lease_id TEXT NOT NULL REFERENCES leases (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (lease_id, type, id)
  );`,
];

const types = new Set<LeaseResourceType>(['content', 'snapshot', 'ingest']);

export interface CreateLeaseOptions {
  id?: string;
  /** The lease lapses this many ms after creation. */
  expiresInMs?: number;
  labels?: Record<string, string>;
}

export class LeaseManager {
  private readonly db: MetadataDb;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private holds = 0;

  constructor(db: MetadataDb) {
    this.db = db;
    migrate(db, 'leases', migrations);
  }

  create(options: CreateLeaseOptions = {}): Lease {
    const id = options.id ?? `lease-${Date.now().toString(36)}-${randomHex(6)}`;
    const now = new Date();
    const expiresAt = options.expiresInMs !== undefined ? new Date(now.getTime() + options.expiresInMs) : undefined;
    try {
      this.db
        .prepare('INSERT INTO leases (id, labels, created_at, expires_at) VALUES (?, ?, ?, ?)')
        .run(id, JSON.stringify(options.labels ?? {}), now.toISOString(), expiresAt?.toISOString() ?? null);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw alreadyExists(`lease ${JSON.stringify(id)}: already exists`);
      throw err;
    }
    return { id, createdAt: now, ...(expiresAt ? { expiresAt } : {}), labels: { ...(options.labels ?? {}) } };
  }

  list(): Lease[] {
    const rows = this.db.prepare('SELECT * FROM leases ORDER BY created_at, id').all() as {
      id: string;
      labels: string;
      created_at: string;
      expires_at: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      createdAt: new Date(r.created_at),
      ...(r.expires_at ? { expiresAt: new Date(r.expires_at) } : {}),
      labels: JSON.parse(r.labels) as Record<string, string>,
    }));
  }

  delete(id: string): void {
    const r = this.db.prepare('DELETE FROM leases WHERE id = ?').run(id);
    if (r.changes === 0) throw notFound(`lease ${JSON.stringify(id)}: not found`);
  }

  /**
   * Adds a resource to a lease. Add it *before* writing or looking for the resource: while a GC
   * is between reading its roots and the end of its sweep this waits, so a blob the GC is about
   * to remove is never taken as already present.
   */
  async addResource(leaseId: string, resource: LeaseResource): Promise<void> {
    if (!types.has(resource.type)) throw invalidArgument(`lease ${JSON.stringify(leaseId)}: unknown resource type ${JSON.stringify(resource.type)}`);
    while (this.gate) await this.gate;
    withTransaction(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM leases WHERE id = ?').get(leaseId)) throw notFound(`lease ${JSON.stringify(leaseId)}: not found`);
      this.db.prepare('INSERT OR IGNORE INTO lease_resources (lease_id, type, id) VALUES (?, ?, ?)').run(leaseId, resource.type, resource.id);
    });
  }

  /**
   * Used by the GC: until the returned function is called, addResource waits. The GC holds it
   * from reading its roots to the end of its sweep.
   */
  holdForCollection(): () => void {
    if (this.holds++ === 0) this.gate = new Promise<void>((resolve) => (this.openGate = resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0) {
        const open = this.openGate;
        this.gate = undefined;
        this.openGate = undefined;
        open?.();
      }
    };
  }

  deleteResource(leaseId: string, resource: LeaseResource): void {
    this.db.prepare('DELETE FROM lease_resources WHERE lease_id = ? AND type = ? AND id = ?').run(leaseId, resource.type, resource.id);
  }

  listResources(leaseId: string): LeaseResource[] {
    return this.db
      .prepare('SELECT type, id FROM lease_resources WHERE lease_id = ? ORDER BY type, id')
      .all(leaseId) as LeaseResource[];
  }

  /** Deletes leases that expired before `now`; returns their ids. */
  deleteExpired(now = new Date()): string[] {
    return withTransaction(this.db, () => {
      const ids = (this.db.prepare('SELECT id FROM leases WHERE expires_at IS NOT NULL AND expires_at <= ?').all(now.toISOString()) as { id: string }[]).map((r) => r.id);
      for (const id of ids) this.db.prepare('DELETE FROM leases WHERE id = ?').run(id);
      return ids;
    });
  }

  /** Everything held by leases that have not expired at `now` (GC roots). */
  activeResources(now = new Date()): LeasedResources {
    const rows = this.db
      .prepare(
        `SELECT r.type, r.id FROM lease_resources r JOIN leases l ON l.id = r.lease_id
         WHERE l.expires_at IS NULL OR l.expires_at > ?`,
      )
      .all(now.toISOString()) as LeaseResource[];
    const out: LeasedResources = { content: new Set(), snapshots: new Set(), ingests: new Set() };
    for (const r of rows) {
      if (r.type === 'content') out.content.add(r.id);
      else if (r.type === 'snapshot') out.snapshots.add(r.id);
      else out.ingests.add(r.id);
    }
    return out;
  }

  /** Runs `fn` under a fresh lease and deletes the lease afterwards, whatever happens. */
  async withLease<T>(fn: (lease: Lease) => Promise<T>, options: CreateLeaseOptions = {}): Promise<T> {
    const lease = this.create(options);
    try {
      return await fn(lease);
    } finally {
      try {
        this.delete(lease.id);
      } catch {
        // already gone (expired and collected): nothing to release
      }
    }
  }
}
