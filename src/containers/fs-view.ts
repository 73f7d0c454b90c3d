import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalidArgument } from '../lib/index.ts';
import type { Container } from './types.ts';

/**
 * The container's filesystem as its processes see it, reachable from the host: the rootfs with
 * the container's bind mounts and volumes laid over it (destination → host source). `docker cp`
 * and the archive endpoints resolve paths through it, so a path under a volume reads and writes
 * the volume, whether the container runs or not. tmpfs mounts have no host side and are not in it.
 */
export interface FsView {
  root: string;
  mounts: ViewMount[];
}

export interface ViewMount {
  /** Normalized absolute path in the container. */
  destination: string;
  /** Host path it maps to. */
  source: string;
  rw: boolean;
}

/**
 * The view of `c` over a mounted rootfs: its volumes, binds and its hostname/hosts/resolv.conf
 * files; with `pid` (a running task), its tmpfs mounts too, reached through /proc/<pid>/root.
 */
export function viewOf(c: Container, rootfs: string, pid?: number): FsView {
  const mounts: ViewMount[] = [];
  const files: [string, string][] = [
    ['/etc/resolv.conf', c.resolvConfPath],
    ['/etc/hostname', c.hostnamePath],
    ['/etc/hosts', c.hostsPath],
  ];
  for (const [destination, source] of files) if (source) mounts.push({ destination, source, rw: !c.hostConfig.readonlyRootfs });
  for (const m of c.mountPoints) {
    const destination = posix.normalize('/' + m.destination).replace(/(.)\/+$/, '$1');
    if (m.type === 'tmpfs') {
      if (pid) mounts.push({ destination, source: `/proc/${pid}/root${destination}`, rw: true });
      continue;
    }
    if (!m.source) continue;
    const i = mounts.findIndex((x) => x.destination === destination);
    if (i >= 0) mounts.splice(i, 1);
    mounts.push({ destination, source: m.source, rw: m.rw });
  }
  return { root: rootfs, mounts };
}

/** The mount whose destination is `path` or its closest ancestor (the last one listed wins a tie). */
export function mountOf(view: FsView, path: string): ViewMount | undefined {
  let best: ViewMount | undefined;
  for (const m of view.mounts) {
    const under = m.destination === '/' || path === m.destination || path.startsWith(m.destination + '/');
    if (under && (!best || m.destination.length >= best.destination.length)) best = m;
  }
  return best;
}

/** The host path of a resolved container path (no symlinks left in it). */
export function hostPathOf(view: FsView, path: string): string {
  const m = mountOf(view, path);
  if (!m) return join(view.root, path);
  return join(m.source, path.slice(m.destination.length));
}

/**
 * Resolves `path` in the view as the container would: symlinks in the directory part are
 * followed inside the container's root (an absolute target starts again at its `/`, `..` stops
 * at `/`), mounts are crossed into their host sources; the last component is not followed.
 * Returns the container path and its host path.
 */
export async function resolveInView(view: FsView, path: string): Promise<{ path: string; host: string }> {
  const parts = posix.normalize('/' + path).split('/').filter(Boolean);
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '..') {
      resolved.pop();
      continue;
    }
    if (name === '.') continue;
    if (parts.length === 0) {
      resolved.push(name);
      break;
    }
    const here = hostPathOf(view, '/' + [...resolved, name].join('/'));
    const st = await lstat(here).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (++hops > 255) throw invalidArgument(`too many symlinks in "${path}"`);
      const target = await readlink(here);
      if (target.startsWith('/')) resolved.length = 0;
      parts.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    resolved.push(name);
  }
  const inContainer = '/' + resolved.join('/');
  return { path: inContainer, host: hostPathOf(view, inContainer) };
}

/** resolveInView over a bare root directory: the host path of `path` inside `root`. */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  return (await resolveInView({ root, mounts: [] }, path)).host;
}
