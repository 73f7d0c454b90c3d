import type { Mount } from '../sys/index.ts';

/**
 * Snapshots (containerd's model). A snapshotter manages directories of file trees stacked by
 * parent/child relationship; it never mounts anything itself, it *returns* mounts as data.
 *
 * Vocabulary:
 * - **key**: the caller-chosen name of an *active* or *view* snapshot (a snapshot being worked on).
 * - **name**: the name given to a *committed* snapshot by `commit(name, key)`; committed snapshots
 *   are immutable and are the only valid parents. In the image pipeline the name is the layer's
 *   chainID. Keys and names share one namespace: `stat(x)` finds either.
 * - **parent**: the committed snapshot an active/view snapshot (or a committed one) is stacked on.
 *
 * Lifecycle:
 * - `prepare(key, parent?)` makes an **active** (writable) snapshot; `mounts(key)` says how to mount
 *   it (a bind of its directory with no parent, an overlay over the parent chain otherwise). Write
 *   to it (a layer unpacked, a container's writes), then either
 * - `commit(name, key)`: the active snapshot becomes the **committed** snapshot `name` (the key is
 *   gone), or `remove(key)` to drop it.
 * - `view(key, parent?)` makes a read-only **view** of a committed snapshot (mounts are read-only).
 * - `remove(x)` removes an active, view or committed snapshot that has no children.
 * - `cleanup()` removes directories no record refers to (what a crash left behind).
 */
export type Kind = 'active' | 'view' | 'committed';

export interface Info {
  kind: Kind;
  /** The key (active/view) or the name (committed). */
  name: string;
  /** Name of the committed parent; absent for a base snapshot. */
  parent?: string;
  labels: Record<string, string>;
  created: Date;
  updated: Date;
}

/** Disk usage of a snapshot's own directory (not its parents). */
export interface Usage {
  /** Bytes of disk blocks used. */
  size: number;
  /** Number of inodes (files, dirs, links). */
  inodes: number;
}

export interface SnapshotOptions {
  labels?: Record<string, string>;
}

export interface WalkFilter {
  kind?: Kind;
  parent?: string;
  /** Every label listed must be present with that value ('' matches any value). */
  labels?: Record<string, string>;
}

export interface Snapshotter {
  /** Info of the snapshot with this key or name; not-found if none. */
  stat(key: string): Promise<Info>;
  /** Replaces the labels of a snapshot (only labels can change); returns the new info. */
  update(info: Pick<Info, 'name' | 'labels'>): Promise<Info>;
  /** Disk usage of the snapshot's own layer. */
  usage(key: string): Promise<Usage>;
  /** How to mount an active or view snapshot (data only; never mounts). */
  mounts(key: string): Promise<Mount[]>;
  /** Creates an active snapshot `key` on `parent` (committed); returns its mounts. */
  prepare(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]>;
  /** Creates a read-only view `key` of `parent`; returns its mounts. */
  view(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]>;
  /** Turns active snapshot `key` into the committed snapshot `name`. */
  commit(name: string, key: string, options?: SnapshotOptions): Promise<void>;
  /**
   * Removes a snapshot with no children; failed-precondition if it has some. With `background`,
   * resolves once the record is gone and the directory is out of sight, and deletes the files
   * afterwards (cleanup() finishes the job after a crash).
   */
  remove(key: string, options?: { background?: boolean }): Promise<void>;
  /** Calls fn for every snapshot matching `filter`. */
  walk(fn: (info: Info) => void | Promise<void>, filter?: WalkFilter): Promise<void>;
  /** Removes directories that no snapshot record refers to. */
  cleanup(): Promise<void>;
  /** The directory backing a snapshot's own layer (the upper dir of an active one). */
  layerDir(key: string): Promise<string>;
  close(): void;
}
