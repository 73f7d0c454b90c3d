import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { DockerIgnore } from '../../../lib/index.ts';

/**
 * Tars a build context directory as docker's CLI does: .dockerignore applied (the Dockerfile and
 * .dockerignore are always sent), owners 0, paths relative. `extra` adds files (a Dockerfile from
 * outside the context).
 */
export async function packContext(dir: string, options: { keep?: string[]; extra?: { name: string; data: Buffer }[] } = {}): Promise<Readable> {
  let text = '';
  try {
    text = await readFile(join(dir, '.dockerignore'), 'utf8');
  } catch {
    // no .dockerignore
  }
  // the same rules the builder applies on the daemon side
  const ignore = DockerIgnore.parse(text);
  const keep = new Set(['.dockerignore', ...(options.keep ?? [])]);
  const pack = tar.pack();
  const walk = async (abs: string): Promise<void> => {
    for (const name of (await readdir(abs)).sort()) {
      const p = join(abs, name);
      const rel = relative(dir, p).split(sep).join('/');
      const st = await lstat(p);
      const excluded = !keep.has(rel) && ignore.excludes(rel);
      if (st.isDirectory()) {
        // An excluded directory may still hold an exception (`!dir/keep`): descend, add only what is kept.
        if (!excluded) pack.entry({ name: rel, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 });
        if (!excluded || ignore.hasExclusions()) await walk(p);
        continue;
      }
      if (excluded) continue;
      const base = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isSymbolicLink()) pack.entry({ ...base, type: 'symlink', linkname: await readlink(p) });
      else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(p).on('error', reject).pipe(entry);
        });
      }
    }
  };
  walk(dir)
    .then(() => {
      for (const e of options.extra ?? []) pack.entry({ name: e.name, mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, e.data);
      pack.finalize();
    })
    .catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
