import { invalidArgument } from '../../lib/index.ts';

/**
 * Variable substitution and quote removal for Dockerfile instruction arguments, as the
 * builder's shell lexer does: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
 * `${VAR+word}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR#pat}`, `${VAR##pat}`, `${VAR%pat}`,
 * `${VAR%%pat}`; single quotes are literal, double quotes expand, the escape character quotes
 * the next character.
 */
export interface ExpandOptions {
  /** The escape character (the `# escape=` directive): `\` or a backtick. */
  escape?: string;
  /** Called for every variable looked up, so the cache can key on the ones a step used. */
  onLookup?: (name: string) => void;
}

export type Env = ReadonlyMap<string, string>;

/** Expands `text` into words (unquoted whitespace separates words). */
export function expandWords(text: string, env: Env, options: ExpandOptions = {}): string[] {
  return new WordLexer(text, env, options).words();
}

/** Expands `text` as a single word: whitespace is kept, quotes removed. */
export function expandString(text: string, env: Env, options: ExpandOptions = {}): string {
  return new WordLexer(text, env, options).single();
}

class WordLexer {
  private pos = 0;
  private readonly escape: string;

  constructor(
    private readonly text: string,
    private readonly env: Env,
    private readonly options: ExpandOptions,
  ) {
    this.escape = options.escape ?? '\\';
  }

  words(): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (/\s/.test(ch)) {
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        this.pos++;
        continue;
      }
      inWord = true;
      cur += this.unit(true);
    }
    if (inWord) out.push(cur);
    return out;
  }

  single(): string {
    let cur = '';
    while (this.pos < this.text.length) cur += this.unit(false);
    return cur;
  }

  /** One lexical unit: a quoted section, an escape, a variable, or a plain character. */
  private unit(splitting: boolean): string {
    const ch = this.text[this.pos]!;
    if (ch === this.escape) {
      this.pos++;
      if (this.pos >= this.text.length) return splitting ? '' : ch;
      return this.text[this.pos++]!;
    }
    if (ch === "'") return this.singleQuoted();
    if (ch === '"') return this.doubleQuoted();
    if (ch === '$') return this.variable();
    this.pos++;
    return ch;
  }

  private singleQuoted(): string {
    const end = this.text.indexOf("'", this.pos + 1);
    if (end < 0) throw invalidArgument(`unexpected end of statement while looking for matching single-quote`);
    const s = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return s;
  }

  private doubleQuoted(): string {
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === this.escape) {
        const next = this.text[this.pos + 1];
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.pos += 2;
          continue;
        }
        out += ch;
        this.pos++;
        continue;
      }
      if (ch === '$') {
        out += this.variable();
        continue;
      }
      out += ch;
      this.pos++;
    }
    throw invalidArgument(`unexpected end of statement while looking for matching double-quote`);
  }

  private lookup(name: string): string | undefined {
    this.options.onLookup?.(name);
    return this.env.get(name);
  }

  private variable(): string {
    this.pos++; // the $
    const ch = this.text[this.pos];
    if (ch === '{') return this.braced();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) return '$';
    this.pos += m[0].length;
    return this.lookup(m[0]) ?? '';
  }

  private braced(): string {
    this.pos++; // the {
    const rest = this.text.slice(this.pos);
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (!m) throw invalidArgument(`bad substitution: "\${${rest.split('}')[0] ?? ''}}"`);
    const name = m[0];
    this.pos += name.length;
    const next = this.text[this.pos];
    if (next === '}') {
      this.pos++;
      return this.lookup(name) ?? '';
    }
    let op = '';
    for (const candidate of [':-', ':+', ':?', '##', '%%', '-', '+', '?', '#', '%']) {
      if (this.text.startsWith(candidate, this.pos)) {
        op = candidate;
        break;
      }
    }
    if (!op) throw invalidArgument(`bad substitution: unsupported modifier "${next ?? ''}" in "\${${name}..."`);
    this.pos += op.length;
    const word = this.wordUntilBrace();
    const value = this.lookup(name);
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (op) {
      case ':-':
        return nonEmpty ? value! : word;
      case '-':
        return set ? value! : word;
      case ':+':
        return nonEmpty ? word : '';
      case '+':
        return set ? word : '';
      case ':?':
        if (!nonEmpty) throw invalidArgument(`${name}: ${word || 'is not allowed to be unset or empty'}`);
        return value!;
      case '?':
        if (!set) throw invalidArgument(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
      case '#':
      case '##':
        return trimPrefix(value ?? '', word, op === '##');
      default:
        return trimSuffix(value ?? '', word, op === '%%');
    }
  }

  /** The word of a `${VAR<op>word}` form, itself expanded, up to the matching `}`. */
  private wordUntilBrace(): string {
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '}') {
        this.pos++;
        return out;
      }
      out += this.unit(false);
    }
    throw invalidArgument(`bad substitution: missing "}"`);
  }
}

/** A shell glob (`*`, `?`, `[...]`) as a regular expression source. */
function globSource(pattern: string): string {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return re;
}

function trimPrefix(value: string, pattern: string, longest: boolean): string {
  const re = new RegExp('^' + globSource(pattern) + '$', 's');
  const lengths = [...Array(value.length + 1).keys()];
  if (longest) lengths.reverse();
  for (const n of lengths) if (re.test(value.slice(0, n))) return value.slice(n);
  return value;
}

function trimSuffix(value: string, pattern: string, longest: boolean): string {
  const re = new RegExp('^' + globSource(pattern) + '$', 's');
  const starts = [...Array(value.length + 1).keys()];
  if (!longest) starts.reverse();
  for (const n of starts) if (re.test(value.slice(n))) return value.slice(0, n);
  return value;
}
