import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The project's root directory (where package.json is), found from this module's location so it
 * works both from src/ under tsx and from the bundled dist/.
 */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the berth project root');
    dir = up;
  }
  root = dir;
  return dir;
}

/** Path of an executable in bin/ (berth-shim, berth-runtime ...). */
export function binPath(name: string): string {
  return join(projectRoot(), 'bin', name);
}
