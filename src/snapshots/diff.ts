import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidArgument } from '../lib/index.ts';
import type { Mount } from '../sys/index.ts';
import { lowerLookup } from './lower-lookup.ts';
import { packTree } from './tree-pack.ts';
import { isOpaqueDir, isOverlayWhiteout } from './whiteout.ts';

/** The layer directories of a snapshot's mounts, nearest first (overlay lowerdirs, or a bind's source). */
export function lowerDirsOf(mounts: readonly Mount[]): string[] {
  const dirs: string[] = [];
  for (const m of mounts) {
    if (m.type === 'overlay') {
      const lower = m.options.find((o) => o.startsWith('lowerdir='));
      const upper = m.options.find((o) => o.startsWith('upperdir='));
      if (upper) dirs.push(upper.slice('upperdir='.length));
      if (lower) dirs.push(...lower.slice('lowerdir='.length).split(':'));
    } else if (m.type === 'bind' || m.options.includes('bind') || m.options.includes('rbind')) {
      dirs.push(m.source);
    } else {
      throw invalidArgument(`diff: cannot read layers from a ${JSON.stringify(m.type)} mount`);
    }
  }
  return dirs;
}

/**
 * The changes in `upper` (an active snapshot's layer dir, an overlay upper) as an OCI layer tar:
 * files as they are, overlay whiteouts turned back into `.wh.<name>`, opaque directories into
 * `.wh..wh..opq`. `lower` (the mounts of the parent, e.g. a view) is accepted for symmetry with
 * containerd's differ; an overlay upper already holds exactly the changes.
 */
export function diff(lower: readonly Mount[], upper: string, options: { signal?: AbortSignal } = {}): Readable {
  void lower;
  return packTree(upper, { overlay: true, ...options });
}

export type ChangeKind = 'A' | 'C' | 'D';

/** One line of `docker diff`: A(dded), C(hanged), D(eleted), with an absolute path. */
export interface Change {
  kind: ChangeKind;
  path: string;
}

/** The changes an overlay upper dir makes over `lower` (mounts of the parent), sorted by path. */
export function changes(lower: readonly Mount[], upper: string): Change[] {
  const lowers = lower.length ? lowerDirsOf(lower) : [];
  const out: Change[] = [];
  const walk = (comps: string[]) => {
    const dir = join(upper, ...comps);
    for (const name of readdirSync(dir).sort()) {
      const c = [...comps, name];
      const path = '/' + c.join('/');
      const st = lstatSync(join(dir, name));
      if (isOverlayWhiteout(st)) {
        if (lowerLookup(lowers, c)) out.push({ kind: 'D', path });
        continue;
      }
      const below = lowerLookup(lowers, c);
      out.push({ kind: below ? 'C' : 'A', path });
      if (st.isDirectory()) {
        if (below?.stat.isDirectory() && isOpaqueDir(join(dir, name))) {
          // everything the lower layers had here is hidden
          const seen = new Set(readdirSync(join(dir, name)));
          for (const hidden of mergedNames(lowers, c)) {
            if (!seen.has(hidden)) out.push({ kind: 'D', path: `${path}/${hidden}` });
          }
        }
        walk(c);
      }
    }
  };
  walk([]);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Names visible in the merged lower view of directory `comps`. */
function mergedNames(lowers: readonly string[], comps: readonly string[]): string[] {
  const names = new Set<string>();
  for (const layer of lowers) {
    const p = join(layer, ...comps);
    let entries: string[];
    try {
      entries = readdirSync(p);
    } catch {
      continue;
    }
    for (const n of entries) if (lowerLookup(lowers, [...comps, n])) names.add(n);
  }
  return [...names].sort();
}
