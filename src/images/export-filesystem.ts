import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { wrap } from '../lib/index.ts';
import { mountAll, unmount, type Mount } from '../sys/index.ts';
import { packTree } from '../snapshots/index.ts';

/**
 * `docker export`: the container's whole filesystem as one tar, from its rootfs mounts (the
 * snapshotter's mounts of its active snapshot). The mounts are made read-only on a private
 * temporary mount point and undone when the stream ends, fails or is destroyed. For a running
 * container, pack its live rootfs with exportTree instead (its upper dir is in use).
 */
export async function exportFilesystem(mounts: readonly Mount[], options: { tmpDir?: string; signal?: AbortSignal } = {}): Promise<Readable> {
  const mnt = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'berth-export-'));
  try {
    mountAll(mounts.map((m) => ({ ...m, options: [...m.options.filter((o) => o !== 'rw'), 'ro'] })), mnt);
  } catch (err) {
    await rmdir(mnt).catch(() => {});
    throw wrap(err, 'export');
  }
  const stream = exportTree(mnt, options.signal ? { signal: options.signal } : {});
  let done = false;
  const release = () => {
    if (done) return;
    done = true;
    try {
      unmount(mnt, { lazy: true });
    } catch {
      // already gone
    }
    rmdir(mnt).catch(() => {});
  };
  stream.once('end', release);
  stream.once('close', release);
  stream.once('error', release);
  return stream;
}

/** A directory tree as a tar stream, every file as it is (no whiteout conversion). */
export function exportTree(dir: string, options: { signal?: AbortSignal } = {}): Readable {
  return packTree(dir, { overlay: false, ...options });
}
