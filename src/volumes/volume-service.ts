import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, invalidArgument, isNotFound, notFound, notImplemented, nullLogger, wrap, randomHex, type Logger } from '../lib/index.ts';
import type { MetadataDb } from '../metadata/index.ts';
import {
  anonymousLabel,
  localDriver,
  type CreateVolumeOptions,
  type Volume,
  type VolumeListFilters,
  type VolumePruneOptions,
  type VolumeUsage,
  type VolumeUsers,
} from './types.ts';
import { VolumeStore } from './volume-store.ts';

const nameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface VolumeEvent {
  action: 'create' | 'destroy' | 'prune';
  name: string;
  attributes: Record<string, string>;
}

export interface VolumeServiceOptions {
  /** `<data-root>/volumes`: one directory per volume, data in `<name>/_data`. */
  root: string;
  db: MetadataDb;
  log?: Logger;
  /** Which containers use a volume; none when not wired. */
  users?: VolumeUsers;
  /** Told about create/destroy/prune (the daemon's events service). */
  onEvent?: (event: VolumeEvent) => void;
}

/** True when `labels` has every `key` / `key=value` of `wanted`. */
function hasLabels(labels: Record<string, string>, wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    return k in labels && (eq < 0 || labels[k] === w.slice(eq + 1));
  });
}

/**
 * Named and anonymous volumes with the local driver. Creating an existing name returns it (as
 * docker does); removing a volume a container uses is a conflict; the directories are created
 * 0701 (volume) / 0755 (`_data`) like dockerd's.
 */
export class VolumeService {
  private readonly store: VolumeStore;
  private readonly root: string;
  private readonly log: Logger;
  private users: VolumeUsers;
  private readonly onEvent: (event: VolumeEvent) => void;

  constructor(options: VolumeServiceOptions) {
    this.root = options.root;
    this.store = new VolumeStore(options.db);
    this.log = options.log ?? nullLogger;
    this.users = options.users ?? (() => []);
    this.onEvent = options.onEvent ?? (() => {});
  }

  /** Wires the in-use check once the container service exists (it is built after volumes). */
  setUsers(users: VolumeUsers): void {
    this.users = users;
  }

  async create(options: CreateVolumeOptions = {}): Promise<Volume> {
    const anonymous = !options.name;
    const name = options.name || randomHex(32);
    const driver = options.driver || localDriver;
    const context = `create ${name}`;
    if (!nameRe.test(name)) {
      throw invalidArgument(
        `${context}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    if (driver !== localDriver) throw notFound(`${context}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const opts = options.driverOpts ?? {};
    if (Object.keys(opts).length > 0) {
      throw notImplemented(`${context}: local volume options (${Object.keys(opts).join(', ')}) are not supported yet`);
    }
    const existing = this.store.find(name);
    if (existing) return existing;
    const labels = { ...options.labels };
    if (anonymous) labels[anonymousLabel] = '';
    const dir = join(this.root, name);
    const volume: Volume = {
      name,
      driver,
      mountpoint: join(dir, '_data'),
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      labels,
      options: opts,
      anonymous,
    };
    try {
      await mkdir(this.root, { recursive: true, mode: 0o701 });
      await mkdir(volume.mountpoint, { recursive: true });
      await chmod(dir, 0o701);
      await chmod(volume.mountpoint, 0o755);
      this.store.insert(volume);
    } catch (err) {
      // Lost a race with a create of the same name: that one wins.
      const raced = this.store.find(name);
      if (raced) return raced;
      await rm(dir, { recursive: true, force: true });
      throw wrap(err, context);
    }
    this.log.debug('volume created', { volume: name, anonymous });
    this.onEvent({ action: 'create', name, attributes: { driver } });
    return volume;
  }

  inspect(name: string): Volume {
    return this.store.get(name);
  }

  find(name: string): Volume | undefined {
    return this.store.find(name);
  }

  usedBy(name: string): string[] {
    return this.users(name);
  }

  list(filters: VolumeListFilters = {}): VolumeUsage[] {
    const out: VolumeUsage[] = [];
    for (const volume of this.store.list()) {
      const usedBy = this.users(volume.name);
      if (filters.dangling !== undefined && filters.dangling !== (usedBy.length === 0)) continue;
      if (filters.name?.length && !filters.name.some((n) => volume.name.includes(n))) continue;
      if (filters.driver?.length && !filters.driver.includes(volume.driver)) continue;
      if (filters.label?.length && !hasLabels(volume.labels, filters.label)) continue;
      out.push({ volume, usedBy });
    }
    return out;
  }

  /** Removes a volume and its data. In use is a conflict; `force` only ignores a missing volume. */
  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    const volume = this.store.find(name);
    if (!volume) {
      if (options.force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.users(name);
    if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    await this.destroy(volume);
  }

  /** Removes the unused volumes that match; anonymous ones only unless `all`. */
  async prune(options: VolumePruneOptions): Promise<{ deleted: string[]; reclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const volume of this.store.list()) {
      if (!options.all && !volume.anonymous) continue;
      if (options.label?.length && !hasLabels(volume.labels, options.label)) continue;
      if (options.labelNot?.some((l) => hasLabels(volume.labels, [l]))) continue;
      if (this.users(volume.name).length > 0) continue;
      const size = await this.size(volume.name).catch(() => 0);
      try {
        await this.destroy(volume);
      } catch (err) {
        this.log.warn('prune volume failed', { volume: volume.name, error: err });
        continue;
      }
      deleted.push(volume.name);
      reclaimed += size;
    }
    this.onEvent({ action: 'prune', name: '', attributes: { reclaimed: String(reclaimed) } });
    return { deleted, reclaimed };
  }

  /** Bytes used by a volume's data (files counted once, by their size). */
  async size(name: string): Promise<number> {
    const v = this.store.get(name);
    return diskUsage(v.mountpoint);
  }

  /**
   * For the container service: the named volume, created when missing (or a new anonymous one
   * when `name` is undefined).
   */
  async acquire(
    name: string | undefined,
    options: { labels?: Record<string, string>; driverOpts?: Record<string, string>; anonymous?: boolean } = {},
  ): Promise<{ name: string; driver: string; mountpoint: string }> {
    const v = await this.create({
      ...(name ? { name } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.driverOpts ? { driverOpts: options.driverOpts } : {}),
    });
    return { name: v.name, driver: v.driver, mountpoint: v.mountpoint };
  }

  /** For the container service (`rm -v`, AutoRemove): removes a volume; missing or in use is ignored. */
  async release(name: string): Promise<void> {
    try {
      await this.remove(name);
    } catch (err) {
      if (isNotFound(err)) return;
      this.log.debug('volume kept', { volume: name, reason: (err as Error).message });
    }
  }

  private async destroy(volume: Volume): Promise<void> {
    const dir = join(this.root, volume.name);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      throw wrap(err, `remove ${volume.name}`);
    }
    this.store.delete(volume.name);
    this.log.debug('volume removed', { volume: volume.name });
    this.onEvent({ action: 'destroy', name: volume.name, attributes: { driver: volume.driver } });
  }
}

/** Sums regular file sizes under `dir` (hard links counted once). */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        if (st.nlink > 1) {
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += st.size;
      }
    }
  };
  await walk(dir);
  return total;
}
