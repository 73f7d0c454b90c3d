import { posix } from 'node:path';
import { invalidArgument } from './errors.ts';

/**
 * `.dockerignore` rules as docker applies them: one pattern a line, `#` comments, `!` for
 * exceptions, the last matching pattern wins, `**` matches any number of directories, and a
 * pattern that matches a directory excludes everything below it.
 */
interface Pattern {
  source: string;
  exclusion: boolean;
  re: RegExp;
  /** Directory depth of the pattern, to test a path's parents against it. */
  dirs: number;
}

export class DockerIgnore {
  private readonly patterns: Pattern[];

  constructor(lines: readonly string[]) {
    this.patterns = [];
    for (const rawLine of lines) {
      let line = rawLine.trim();
      if (line === '' || line.startsWith('#')) continue;
      let exclusion = false;
      if (line.startsWith('!')) {
        exclusion = true;
        line = line.slice(1).trim();
        if (line === '') throw invalidArgument(`.dockerignore: illegal exclusion pattern: "!"`);
      }
      let cleaned = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
      if (cleaned === '.' || cleaned === '') cleaned = '.';
      this.patterns.push({ source: cleaned, exclusion, re: compile(cleaned), dirs: cleaned.split('/').length });
    }
  }

  static parse(text: string): DockerIgnore {
    return new DockerIgnore(text.split(/\r?\n/));
  }

  /** Whether nothing was given. */
  isEmpty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether any exception could re-include something under an excluded directory. */
  hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether `path` (relative to the context root, `/`-separated) is excluded. */
  excludes(path: string): boolean {
    const clean = posix.normalize(path).replace(/^\/+/, '');
    const parts = clean.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue; // only a pattern that could flip the answer matters
      let hit = p.re.test(clean);
      if (!hit) {
        // A pattern matching one of the parents excludes (or re-includes) the path too.
        for (let n = Math.min(p.dirs, parts.length - 1); n >= 1 && !hit; n--) {
          hit = p.re.test(parts.slice(0, n).join('/'));
        }
        if (!hit && p.source.includes('**')) {
          for (let n = 1; n < parts.length && !hit; n++) hit = p.re.test(parts.slice(0, n).join('/'));
        }
      }
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }
}

/** Compiles a docker ignore pattern (filepath.Match syntax plus `**`) to an anchored regexp. */
function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw invalidArgument(`.dockerignore: syntax error in pattern "${pattern}"`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += '[' + cls.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i]!);
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$');
}

function escapeRe(c: string): string {
  return c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
}
