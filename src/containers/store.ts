import { conflict, invalidArgument, notFound } from '../lib/index.ts';
import { migrate, withTransaction, type MetadataDb } from '../metadata/index.ts';
import type { Container } from './types.ts';

const migrations = [
  `CREATE TABLE containers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     image_id TEXT NOT NULL,
     created TEXT NOT NULL,
     record TEXT NOT NULL
   )`,
];

/**
 * Container records in the metadata db (the source of truth), cached in memory. Names are
 * unique (the UNIQUE constraint reserves them); a container is found by full id, by name
 * (with or without the leading slash) or by an unambiguous id prefix, as docker does.
 */
export class ContainerStore {
  readonly #db: MetadataDb;
  readonly #byId = new Map<string, Container>();

  constructor(db: MetadataDb) {
    this.#db = db;
    migrate(db, 'containers', migrations);
    for (const row of db.prepare('SELECT record FROM containers').all() as { record: string }[]) {
      const c = JSON.parse(row.record) as Container;
      this.#byId.set(c.id, c);
    }
  }

  list(): Container[] {
    return [...this.#byId.values()].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  get(id: string): Container | undefined {
    return this.#byId.get(id);
  }

  /** Finds by id, name or id prefix; docker's errors when missing or ambiguous. */
  find(ref: string): Container {
    const c = this.tryFind(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  tryFind(ref: string): Container | undefined {
    if (!ref) return undefined;
    const exact = this.#byId.get(ref);
    if (exact) return exact;
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    for (const c of this.#byId.values()) if (c.name === name) return c;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.#byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return matches[0] === undefined ? undefined : this.#byId.get(matches[0]);
  }

  nameInUse(name: string): Container | undefined {
    for (const c of this.#byId.values()) if (c.name === name) return c;
    return undefined;
  }

  /** Inserts a new record; the name must be free. */
  add(c: Container): void {
    const holder = this.nameInUse(c.name);
    if (holder) throw nameConflict(c.name, holder.id);
    try {
      this.#db
        .prepare('INSERT INTO containers (id, name, image_id, created, record) VALUES (?, ?, ?, ?, ?)')
        .run(c.id, c.name, c.imageId, c.created, JSON.stringify(c));
    } catch (err) {
      if (String(err).includes('UNIQUE')) throw nameConflict(c.name, '');
      throw err;
    }
    this.#byId.set(c.id, c);
  }

  /** Persists the record's current contents (state changes, restart count, health ...). */
  save(c: Container): void {
    this.#db.prepare('UPDATE containers SET name = ?, record = ? WHERE id = ?').run(c.name, JSON.stringify(c), c.id);
  }

  rename(c: Container, name: string): void {
    const holder = this.nameInUse(name);
    if (holder && holder.id !== c.id) throw nameConflict(name, holder.id);
    withTransaction(this.#db, () => {
      const old = c.name;
      c.name = name;
      try {
        this.save(c);
      } catch (err) {
        c.name = old;
        if (String(err).includes('UNIQUE')) throw nameConflict(name, '');
        throw err;
      }
    });
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    this.#byId.delete(id);
  }
}

function nameConflict(name: string, id: string) {
  return conflict(
    `Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}
