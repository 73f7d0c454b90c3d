import type { Mount } from '../../sys/index.ts';
import { DirSnapshotter, type DirSnapshotterOptions, type SnapshotRow } from '../dir-snapshotter.ts';

export type OverlaySnapshotterOptions = DirSnapshotterOptions;

/**
 * The overlayfs snapshotter: snapshots at `<root>/snapshots/<id>/{fs,work}`, records in the
 * metadata db (table overlay_snapshots). A snapshot holds only its own layer; mounts stack it
 * on its parents' layers with overlayfs.
 */
export class OverlaySnapshotter extends DirSnapshotter {
  constructor(options: OverlaySnapshotterOptions) {
    super(options, { table: 'overlay_snapshots', folder: 'snapshots' });
  }

  protected mountsFor(r: SnapshotRow, lowers: string[]): Mount[] {
    if (r.kind === 'view') {
      if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(r.id), options: ['ro', 'rbind'] }];
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: ['ro', 'index=off', `lowerdir=${lowers.join(':')}`] }];
    }
    if (lowers.length === 0) return [{ type: 'bind', source: this.fsDir(r.id), options: ['rw', 'rbind'] }];
    return [
      {
        type: 'overlay',
        source: 'overlay',
        // redirect_dir and metacopy off: a renamed or chmod-ed lower file is copied up whole,
        // so the upper dir alone is the layer diff() turns into a tar
        options: [
          'index=off',
          'redirect_dir=off',
          'metacopy=off',
          `workdir=${this.workDir(r.id)}`,
          `upperdir=${this.fsDir(r.id)}`,
          `lowerdir=${lowers.join(':')}`,
        ],
      },
    ];
  }
}
