import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, symlink, chmod, utimes, rm } from 'node:fs/promises';
import { basename, dirname, join, normalize, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BerthError } from '../../../lib/index.ts';

/**
 * Packs `src` (a file, directory or symlink) into a tar whose root entry is named `rootName`,
 * as `docker cp` sends it. Owners are 0 unless `keepOwner` (docker's `--archive`).
 */
export function packPath(src: string, rootName: string, options: { keepOwner?: boolean; followLink?: boolean } = {}): Readable {
  const pack = tar.pack();
  const add = async (path: string, name: string, top: boolean): Promise<void> => {
    const st = top && options.followLink ? await (await import('node:fs/promises')).stat(path) : await lstat(path);
    const base = {
      name,
      mode: st.mode & 0o7777,
      mtime: st.mtime,
      uid: options.keepOwner ? st.uid : 0,
      gid: options.keepOwner ? st.gid : 0,
    };
    if (st.isDirectory()) {
      pack.entry({ ...base, type: 'directory' });
      for (const child of (await readdir(path)).sort()) await add(join(path, child), `${name}/${child}`, false);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...base, type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(path).on('error', reject).pipe(entry);
      });
    }
  };
  add(src, rootName, true).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return pack as unknown as Readable;
}

/**
 * Extracts a tar from the archive endpoint under `destDir`, renaming its root entry from
 * `fromRoot` to `toRoot` (docker cp's rename when the destination does not exist). Refuses
 * entries that would escape `destDir`.
 */
export async function extractTar(stream: Readable, destDir: string, rename?: { fromRoot: string; toRoot: string }): Promise<void> {
  const extract = tar.extract();
  const dirTimes: [string, Date][] = [];
  extract.on('entry', (header, body, next) => {
    const handle = async () => {
      let name = header.name.replace(/^\.?\/+/, '');
      if (rename) {
        if (name === rename.fromRoot || name === `${rename.fromRoot}/`) name = rename.toRoot;
        else if (name.startsWith(rename.fromRoot + '/')) name = rename.toRoot + name.slice(rename.fromRoot.length);
      }
      const target = normalize(join(destDir, name));
      if (target !== normalize(destDir) && !target.startsWith(normalize(destDir).replace(/\/?$/, sep))) {
        throw new BerthError('permission-denied', `copy: entry "${header.name}" escapes the destination`);
      }
      const mode = header.mode ?? 0o644;
      switch (header.type) {
        case 'directory':
          await mkdir(target, { recursive: true });
          await chmod(target, mode);
          if (header.mtime) dirTimes.push([target, header.mtime]);
          body.resume();
          break;
        case 'symlink':
          await mkdir(dirname(target), { recursive: true });
          await rm(target, { force: true });
          await symlink(header.linkname ?? '', target);
          body.resume();
          break;
        case 'file':
        case 'contiguous-file':
        case undefined:
        case null:
          await mkdir(dirname(target), { recursive: true });
          await rm(target, { force: true, recursive: false }).catch(() => {});
          await pipeline(body, createWriteStream(target, { mode }));
          await chmod(target, mode);
          if (header.mtime) await utimes(target, header.mtime, header.mtime);
          break;
        default:
          body.resume();
      }
    };
    handle().then(() => next(), (err: unknown) => next(err as Error));
  });
  await pipeline(stream, extract);
  for (const [d, t] of dirTimes.reverse()) await utimes(d, t, t).catch(() => {});
}

/** `CONTAINER:PATH` → [container, path]; a local path (with `/` or `.` first, or no colon) → [undefined, path]. */
export function splitCpArg(arg: string): [string | undefined, string] {
  if (arg.startsWith('/') || arg.startsWith('.') || arg === '-') return [undefined, arg];
  const i = arg.indexOf(':');
  if (i <= 0) return [undefined, arg];
  return [arg.slice(0, i), arg.slice(i + 1)];
}

export { basename };
