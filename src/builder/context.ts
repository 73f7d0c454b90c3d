import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import { invalidArgument, notFound, type Digest } from '../lib/index.ts';
import { DockerIgnore } from '../lib/index.ts';

/**
 * A build context on disk: the directory COPY and ADD read from, with `.dockerignore`
 * applied. Paths given to and returned by it are relative to the root and `/`-separated.
 */
export class BuildContext {
  readonly root: string;
  readonly ignore: DockerIgnore;

  private constructor(root: string, ignore: DockerIgnore) {
    this.root = root;
    this.ignore = ignore;
  }

  /** Opens a context directory, reading its `.dockerignore` if any. */
  static async open(root: string): Promise<BuildContext> {
    const real = await realpath(root).catch((err: unknown) => {
      throw notFound(`open build context "${root}": ${(err as Error).message}`);
    });
    let text = '';
    try {
      text = await readFile(join(real, '.dockerignore'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new BuildContext(real, DockerIgnore.parse(text));
  }

  private listing: Promise<string[]> | undefined;

  /** Every path in the context that is not ignored (directories included), sorted. */
  list(): Promise<string[]> {
    // The context does not change during a build: walk it once.
    this.listing ??= this.walkAll();
    return this.listing;
  }

  private async walkAll(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await readdir(join(this.root, rel), { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        const excluded = this.ignore.excludes(p);
        if (!excluded) out.push(p);
        // An excluded directory is still walked when an exception may re-include something in it.
        if (e.isDirectory() && (!excluded || this.ignore.hasExclusions())) await walk(p);
      }
    };
    await walk('');
    return out;
  }

  /**
   * Resolves COPY/ADD source patterns (filepath.Match wildcards) to context paths. A pattern
   * that matches nothing is an error, as docker reports it.
   */
  async resolve(patterns: readonly string[]): Promise<string[]> {
    const all = await this.list();
    const result: string[] = [];
    for (const raw of patterns) {
      const pattern = cleanSource(raw);
      if (pattern === '.') {
        result.push('.');
        continue;
      }
      if (!/[*?[]/.test(pattern)) {
        if (!all.includes(pattern)) {
          throw notFound(`failed to compute cache key: "/${pattern}": not found in the build context or excluded by .dockerignore`);
        }
        result.push(pattern);
        continue;
      }
      const re = matchRegExp(pattern);
      const hits = all.filter((p) => re.test(p));
      if (hits.length === 0) throw notFound(`failed to compute cache key: no source files were specified for "${raw}"`);
      result.push(...hits);
    }
    return result;
  }

  /**
   * A digest over the content and metadata of `paths` (recursively for directories, ignored
   * files left out): the cache key of a COPY/ADD. Mode, symlink targets, sizes and bytes count;
   * mtimes do not, so a touch does not bust the cache.
   */
  async checksum(paths: readonly string[]): Promise<Digest> {
    const h = createHash('sha256');
    const all = await this.list();
    const seen = new Set<string>();
    const add = async (rel: string): Promise<void> => {
      if (seen.has(rel)) return;
      seen.add(rel);
      const abs = rel === '.' ? this.root : join(this.root, rel);
      const st = await lstat(abs);
      h.update(`${rel}\0${st.mode}\0`);
      if (st.isSymbolicLink()) h.update(`link:${await readlink(abs)}\0`);
      else if (st.isFile()) {
        h.update(`size:${st.size}\0`);
        await new Promise<void>((resolve, reject) => {
          createReadStream(abs)
            .on('data', (c) => h.update(c))
            .on('end', resolve)
            .on('error', reject);
        });
      } else if (st.isDirectory()) {
        const prefix = rel === '.' ? '' : rel + '/';
        for (const p of all) if (p.startsWith(prefix) && p !== rel && !p.slice(prefix.length).includes('/')) await add(p);
      }
    };
    for (const p of paths) await add(p);
    return `sha256:${h.digest('hex')}`;
  }
}

/** Cleans a source path: no leading `/`, no `..` out of the context. */
export function cleanSource(raw: string): string {
  const cleaned = posix.normalize('/' + raw).replace(/^\/+/, '').replace(/\/+$/, '');
  if (cleaned.startsWith('..')) throw invalidArgument(`source "${raw}" is outside the build context`);
  return cleaned === '' ? '.' : cleaned;
}

function matchRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw invalidArgument(`syntax error in pattern "${pattern}"`);
      re += '[' + pattern.slice(i + 1, end).replace(/^[!^]/, '^') + ']';
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(re + '$');
}
