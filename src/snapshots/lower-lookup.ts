import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isOpaqueDir, isOverlayWhiteout } from './whiteout.ts';

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Finds `comps` (a path relative to the merged root, already free of `..`) in a stack of overlay
 * layer directories, nearest first, as overlayfs would: a whiteout hides it and everything
 * below; an opaque directory hides the same path in lower layers. Returns the file's location in
 * the layer that provides it, or undefined if the merged view has nothing there.
 */
export function lowerLookup(lowers: readonly string[], comps: readonly string[]): { path: string; stat: Stats } | undefined {
  for (const layer of lowers) {
    let p = layer;
    let hidden = false;
    let found: Stats | undefined;
    for (let i = 0; i < comps.length; i++) {
      p = join(p, comps[i]!);
      const st = lstatOrUndefined(p);
      if (!st) break;
      if (isOverlayWhiteout(st)) return undefined;
      if (i === comps.length - 1) {
        found = st;
        break;
      }
      if (!st.isDirectory()) return undefined; // a non-directory here hides lower layers' paths below
      if (isOpaqueDir(p)) hidden = true;
    }
    if (found) return { path: p, stat: found };
    if (hidden) return undefined;
  }
  return undefined;
}
