import type { Mount } from '../../sys/index.ts';
import type { Kind } from '../snapshotter.ts';
import { DirSnapshotter, type DirSnapshotterOptions, type SnapshotRow } from '../dir-snapshotter.ts';
import { copyTree } from './copy-tree.ts';

export type NativeSnapshotterOptions = DirSnapshotterOptions;

/**
 * The native (copying) snapshotter, for hosts without overlayfs (containerd's "native"):
 * snapshots at `<root>/native-snapshots/<id>/fs`, each a full copy of its parent's tree (files
 * reflinked where the filesystem allows) made on prepare; mounts are plain bind mounts. Layers
 * are applied to it with flat whiteouts (the paths are removed).
 */
export class NativeSnapshotter extends DirSnapshotter {
  constructor(options: NativeSnapshotterOptions) {
    super(options, { table: 'native_snapshots', folder: 'native-snapshots' });
  }

  protected override async populate(fs: string, kind: Kind, parentDirs: string[]): Promise<void> {
    // a view binds its parent directly; an active snapshot starts as a copy of it
    if (kind === 'active' && parentDirs[0]) copyTree(parentDirs[0], fs);
  }

  protected mountsFor(r: SnapshotRow, lowers: string[]): Mount[] {
    if (r.kind === 'view') return [{ type: 'bind', source: lowers[0] ?? this.fsDir(r.id), options: ['ro', 'rbind'] }];
    return [{ type: 'bind', source: this.fsDir(r.id), options: ['rw', 'rbind'] }];
  }
}
