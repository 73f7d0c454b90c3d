import { dirname, isAbsolute, relative, sep } from 'node:path';
import { invalidArgument, wrap } from '../lib/index.ts';
import { errnoCode, nativeSys } from './native.ts';

/**
 * A mount as data (containerd's shape): what a snapshotter returns and the daemon or runtime
 * performs. `options` are fstab-style: flags (ro, nosuid, bind, rbind ...) and fs data
 * (lowerdir=..., upperdir=..., workdir=...).
 */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

// MS_* flags from <linux/mount.h>.
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;
export const MNT_DETACH = 2;

const flagTable: Record<string, [set: boolean, flag: number]> = {
  ro: [true, MS_RDONLY],
  rw: [false, MS_RDONLY],
  nosuid: [true, MS_NOSUID],
  suid: [false, MS_NOSUID],
  nodev: [true, MS_NODEV],
  dev: [false, MS_NODEV],
  noexec: [true, MS_NOEXEC],
  exec: [false, MS_NOEXEC],
  sync: [true, MS_SYNCHRONOUS],
  async: [false, MS_SYNCHRONOUS],
  noatime: [true, MS_NOATIME],
  nodiratime: [true, MS_NODIRATIME],
  relatime: [true, MS_RELATIME],
  strictatime: [true, MS_STRICTATIME],
  bind: [true, MS_BIND],
  rbind: [true, MS_BIND | MS_REC],
  defaults: [false, 0],
};

const propagationTable: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
};

/** Splits fstab-style options into MS_* flags, a propagation change, and the fs data string. */
export function parseMountOptions(options: readonly string[]): { flags: number; propagation: number; data: string[] } {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const opt of options) {
    const f = flagTable[opt];
    if (f) {
      flags = f[0] ? flags | f[1] : flags & ~f[1];
    } else if (propagationTable[opt] !== undefined) {
      propagation |= propagationTable[opt];
    } else {
      data.push(opt);
    }
  }
  return { flags, propagation, data };
}

/** The kernel's limit on mount data: one page, NUL included. */
export const MOUNT_DATA_MAX = 4095;

/**
 * Rewrites overlay data whose paths are too long for one page as paths relative to their common
 * parent directory, which becomes the working directory of the mount (containerd does the same).
 * Returns undefined when the data fits as is.
 */
export function compactOverlayData(data: string[]): { cwd: string; data: string[] } | undefined {
  if (data.join(',').length <= MOUNT_DATA_MAX) return undefined;
  const keys = ['lowerdir=', 'upperdir=', 'workdir='];
  const paths: string[] = [];
  for (const d of data) {
    const key = keys.find((k) => d.startsWith(k));
    if (key) paths.push(...d.slice(key.length).split(':'));
  }
  if (paths.length === 0 || !paths.every((p) => isAbsolute(p))) return undefined;
  let common = dirname(paths[0]!);
  while (!paths.every((p) => p.startsWith(common === sep ? sep : common + sep))) common = dirname(common);
  const rewritten = data.map((d) => {
    const key = keys.find((k) => d.startsWith(k));
    if (!key) return d;
    return key + d.slice(key.length).split(':').map((p) => relative(common, p)).join(':');
  });
  return { cwd: common, data: rewritten };
}

/** Performs one Mount at `target`. */
export function mountOne(m: Mount, target: string): void {
  const sys = nativeSys();
  const { flags, propagation, data } = parseMountOptions(m.options);
  try {
    if (m.type === 'overlay') {
      const compact = compactOverlayData(data);
      if (compact) {
        const joined = compact.data.join(',');
        if (joined.length > MOUNT_DATA_MAX) throw invalidArgument(`overlay mount data is ${joined.length} bytes even with relative paths`);
        sys.mountAt(compact.cwd, m.source, target, m.type, flags, joined);
      } else {
        sys.mount(m.source, target, m.type, flags, data.join(','));
      }
    } else {
      const isBind = (flags & MS_BIND) !== 0;
      sys.mount(m.source, target, isBind ? null : m.type, flags, isBind ? null : data.join(','));
      // A bind mount ignores most flags on creation; apply them with a remount.
      const extra = flags & ~(MS_BIND | MS_REC);
      if (isBind && extra !== 0) sys.mount(null, target, null, MS_REMOUNT | MS_BIND | extra, null);
    }
    if (propagation !== 0) sys.mount(null, target, null, propagation, null);
  } catch (err) {
    throw wrap(err, `mount ${m.type} ${JSON.stringify(m.source)} on ${JSON.stringify(target)}`);
  }
}

/**
 * Performs `mounts` in order on the same `target` (a rootfs is usually one overlay or one bind).
 * If a later mount fails, the ones already made are undone.
 */
export function mountAll(mounts: readonly Mount[], target: string): void {
  let done = 0;
  try {
    for (const m of mounts) {
      mountOne(m, target);
      done++;
    }
  } catch (err) {
    for (; done > 0; done--) {
      try {
        nativeSys().umount2(target, MNT_DETACH);
      } catch {
        // best effort: report the original error
      }
    }
    throw err;
  }
}

/** Unmounts `target`; `lazy` detaches it (MNT_DETACH). ENOENT / EINVAL (not mounted) are ignored when `ignoreNotMounted`. */
export function unmount(target: string, options: { lazy?: boolean; ignoreNotMounted?: boolean } = {}): void {
  try {
    nativeSys().umount2(target, options.lazy ? MNT_DETACH : 0);
  } catch (err) {
    const code = errnoCode(err);
    if (options.ignoreNotMounted && (code === 'EINVAL' || code === 'ENOENT')) return;
    throw wrap(err, `unmount ${JSON.stringify(target)}`);
  }
}

/** Unmounts `target` repeatedly until nothing is mounted there (stacked mounts). */
export function unmountAll(target: string, options: { lazy?: boolean } = {}): void {
  for (let i = 0; i < 64; i++) {
    try {
      nativeSys().umount2(target, options.lazy ? MNT_DETACH : 0);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EINVAL' || code === 'ENOENT') return;
      throw wrap(err, `unmount ${JSON.stringify(target)}`);
    }
  }
}

/**
 * unmountAll off the event loop (a libuv worker thread): an unmount waits for the kernel's RCU
 * grace period, milliseconds a busy daemon should not spend blocked.
 */
export async function unmountAllAsync(target: string, options: { lazy?: boolean } = {}): Promise<number> {
  try {
    return await nativeSys().umountAllAsync(target, options.lazy ? MNT_DETACH : 0);
  } catch (err) {
    throw wrap(err, `unmount ${JSON.stringify(target)}`);
  }
}
