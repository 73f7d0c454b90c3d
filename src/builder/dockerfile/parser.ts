import { invalidArgument } from '../../lib/index.ts';

/**
 * The Dockerfile's physical syntax: parser directives, comments, line continuations, flags,
 * JSON (exec) versus shell form, and heredocs. The result is a list of raw instructions with
 * line numbers; instructions.ts gives each its typed meaning.
 */
export interface Heredoc {
  /** The delimiter word. */
  name: string;
  content: string;
  /** False when the delimiter was quoted (`<<"EOF"`): no variable expansion in the body. */
  expand: boolean;
  /** `<<-EOF`: leading tabs were stripped from the body. */
  chomp: boolean;
}

export interface Flag {
  name: string;
  /** undefined for a bare `--flag`. */
  value: string | undefined;
}

export interface RawInstruction {
  /** Upper-case keyword: RUN, COPY ... */
  keyword: string;
  flags: Flag[];
  /** The arguments after the flags, continuations joined, before any expansion. */
  args: string;
  /** Set when the arguments are a JSON array of strings (exec form). */
  json: string[] | undefined;
  heredocs: Heredoc[];
  /** First and last line (1-based) in the Dockerfile. */
  line: number;
  endLine: number;
  /** The instruction's text as written, continuations joined (for history and errors). */
  original: string;
}

export interface Directives {
  syntax: string | undefined;
  escape: string;
  check: string | undefined;
}

export interface ParsedDockerfile {
  directives: Directives;
  instructions: RawInstruction[];
  warnings: string[];
}

export const knownInstructions = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

const heredocInstructions = new Set(['RUN', 'COPY', 'ADD']);
const directiveRe = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const heredocRe = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2/g;

/** Error for a line of the Dockerfile: `dockerfile parse error on line 3: ...`. */
export function lineError(line: number, message: string) {
  return invalidArgument(`dockerfile parse error on line ${line}: ${message}`);
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const warnings: string[] = [];
  const directives: Directives = { syntax: undefined, escape: '\\', check: undefined };
  let i = 0;
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = directiveRe.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key !== 'syntax' && key !== 'escape' && key !== 'check') break;
    if (seen.has(key)) throw lineError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    const value = m[2]!;
    if (key === 'escape') {
      if (value !== '\\' && value !== '`') throw lineError(i + 1, `invalid escape token "${value}": must be \` or \\`);
      directives.escape = value;
    } else if (key === 'syntax') directives.syntax = value;
    else directives.check = value;
  }

  const escape = directives.escape;
  const instructions: RawInstruction[] = [];
  while (i < lines.length) {
    const first = lines[i]!;
    if (/^\s*$/.test(first) || /^\s*#/.test(first)) {
      i++;
      continue;
    }
    const startLine = i + 1;
    // Join continuation lines: a line ending in the escape character goes on to the next one;
    // comment lines inside a continuation are dropped.
    let logical = '';
    let originalParts: string[] = [];
    for (;;) {
      const raw = lines[i] ?? '';
      i++;
      const trimmed = raw.replace(/\s+$/, '');
      if (trimmed.endsWith(escape)) {
        logical += trimmed.slice(0, -1);
        originalParts.push(trimmed.slice(0, -1));
        while (i < lines.length && (/^\s*#/.test(lines[i]!) || /^\s*$/.test(lines[i]!))) {
          if (/^\s*$/.test(lines[i]!)) warnings.push(`line ${i + 1}: empty continuation line`);
          i++;
        }
        if (i >= lines.length) break;
        continue;
      }
      logical += raw;
      originalParts.push(raw);
      break;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(logical);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    if (!knownInstructions.has(keyword)) throw lineError(startLine, `unknown instruction: ${m[1]}`);
    let rest = m[2]!.trim();
    const { flags, remainder } = splitFlags(rest, escape);
    rest = remainder;
    const heredocs: Heredoc[] = [];
    if (heredocInstructions.has(keyword) || (keyword === 'ONBUILD' && /^\s*(RUN|COPY|ADD)\b/i.test(rest))) {
      for (const h of rest.matchAll(heredocRe)) {
        const chomp = h[1] === '-';
        const name = h[3]!;
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          let l = lines[i]!;
          i++;
          if (chomp) l = l.replace(/^\t+/, '');
          if (l === name) {
            closed = true;
            break;
          }
          body.push(l);
        }
        if (!closed) throw lineError(startLine, `unterminated heredoc "${name}"`);
        heredocs.push({ name, content: body.length ? body.join('\n') + '\n' : '', expand: h[2] === '', chomp });
      }
    }
    let json: string[] | undefined;
    if (rest.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(rest);
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) json = parsed as string[];
      } catch {
        // not JSON: shell form, as docker treats it
      }
    }
    instructions.push({
      keyword,
      flags,
      args: rest,
      json,
      heredocs,
      line: startLine,
      endLine: i,
      original: originalParts.join(' ').trim().replace(/\s+/g, ' '),
    });
  }
  return { directives, instructions, warnings };
}

/** Splits leading `--name=value` / `--name` flags off an instruction's arguments. */
export function splitFlags(text: string, escape = '\\'): { flags: Flag[]; remainder: string } {
  const flags: Flag[] = [];
  let rest = text;
  for (;;) {
    const m = /^--([A-Za-z][A-Za-z0-9-]*)/.exec(rest);
    if (!m) break;
    let pos = m[0].length;
    let value: string | undefined;
    if (rest[pos] === '=') {
      pos++;
      const start = pos;
      pos = scanWord(rest, pos, escape);
      value = unquote(rest.slice(start, pos), escape);
    } else if (rest[pos] !== undefined && !/\s/.test(rest[pos]!)) break;
    flags.push({ name: m[1]!.toLowerCase(), value });
    rest = rest.slice(pos).replace(/^\s+/, '');
  }
  return { flags, remainder: rest };
}

/** Position after a word starting at `pos` (quotes and escapes respected). */
function scanWord(text: string, pos: number, escape: string): number {
  let quote = '';
  while (pos < text.length) {
    const c = text[pos]!;
    if (quote) {
      if (c === escape && quote === '"') pos++;
      else if (c === quote) quote = '';
    } else if (c === escape) pos++;
    else if (c === '"' || c === "'") quote = c;
    else if (/\s/.test(c)) break;
    pos++;
  }
  return pos;
}

/** Removes one level of quotes and escapes from a flag value (no variable expansion). */
function unquote(word: string, escape: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === escape && quote === '"' && i + 1 < word.length) out += word[++i];
      else out += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === escape && i + 1 < word.length) out += word[++i];
    else out += c;
  }
  return out;
}

/**
 * Splits text on unquoted whitespace, keeping quotes and escapes in each word so that
 * expansion can happen later (ENV and LABEL pairs, ARG definitions).
 */
export function splitRawWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (pos >= text.length) break;
    const end = scanWord(text, pos, escape);
    words.push(text.slice(pos, end));
    pos = end;
  }
  return words;
}
