import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

interface Rule {
  negate: boolean;
  re: RegExp;
}

/** Compiles one .dockerignore pattern (Go filepath.Match plus `**`) to a regular expression. */
function compile(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else if ('.+^${}()|[]'.includes(c)) re += '\\' + c;
    else re += c;
  }
  return new RegExp(`^${re}$`);
}

/** Parses .dockerignore text: comments, blank lines, `!` exceptions, leading `/` dropped. */
export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1).trim();
    }
    line = line.replace(/^\/+/, '').replace(/\/+$/, '');
    line = line.split('/').filter((p) => p !== '.' && p !== '').join('/');
    if (!line) continue;
    rules.push({ negate, re: compile(line) });
  }
  return rules;
}

/**
 * Whether `rel` (slash-separated, relative to the context) is excluded: the last matching rule
 * wins, and a rule matching a parent directory applies to everything below it.
 */
export function isIgnored(rel: string, rules: readonly Rule[]): boolean {
  let ignored = false;
  const parts = rel.split('/');
  for (const r of rules) {
    let matched = false;
    for (let i = 1; i <= parts.length && !matched; i++) matched = r.re.test(parts.slice(0, i).join('/'));
    if (matched) ignored = !r.negate;
  }
  return ignored;
}

/**
 * Tars a build context directory as docker's CLI does: .dockerignore applied (the Dockerfile and
 * .dockerignore are always sent), owners 0, paths relative. `extra` adds files (a Dockerfile from
 * outside the context).
 */
export async function packContext(dir: string, options: { keep?: string[]; extra?: { name: string; data: Buffer }[] } = {}): Promise<Readable> {
  let rules: Rule[] = [];
  try {
    rules = parseDockerignore(await readFile(join(dir, '.dockerignore'), 'utf8'));
  } catch {
    // no .dockerignore
  }
  const keep = new Set(['.dockerignore', ...(options.keep ?? [])]);
  const pack = tar.pack();
  const walk = async (abs: string): Promise<void> => {
    for (const name of (await readdir(abs)).sort()) {
      const p = join(abs, name);
      const rel = relative(dir, p).split(sep).join('/');
      const st = await lstat(p);
      const excluded = !keep.has(rel) && isIgnored(rel, rules);
      if (st.isDirectory()) {
        // An excluded directory may still hold an exception (`!dir/keep`): descend, add only what is kept.
        if (!excluded) pack.entry({ name: rel, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 });
        if (!excluded || rules.some((r) => r.negate)) await walk(p);
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
