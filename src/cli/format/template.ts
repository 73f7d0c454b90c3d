import { invalidArgument } from '../../lib/index.ts';

/**
 * A subset of Go's text/template, enough for docker's `--format`: fields and nested fields
 * (`{{.State.Status}}`), methods with arguments (`{{.Label "x"}}`), pipelines (`{{.Names | upper}}`),
 * functions (docker's json, join, lower, upper, title, truncate, split, println, pad, and Go's
 * len, index, printf, print, eq, ne, lt, le, gt, ge, and, or, not), variables (`$`, `$x := ...`),
 * `if`/`else if`/`else`, `range` (with `$i, $v :=`), `with`, and `{{-`/`-}}` trimming.
 */
export type TemplateFunc = (...args: unknown[]) => unknown;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipeline; body: Node[]; else: Node[] };

interface Pipeline {
  decl: string[];
  cmds: Operand[][];
}

type Operand =
  | { kind: 'field'; base: Operand | null; path: string[] }
  | { kind: 'var'; name: string; path: string[] }
  | { kind: 'dot' }
  | { kind: 'ident'; name: string }
  | { kind: 'lit'; value: unknown }
  | { kind: 'sub'; pipe: Pipeline; path: string[] };

/** A compiled template; `execute` renders it against a value. */
export class Template {
  private constructor(
    private readonly nodes: Node[],
    private readonly funcs: Record<string, TemplateFunc>,
  ) {}

  static parse(source: string, funcs: Record<string, TemplateFunc> = {}): Template {
    const all = { ...builtinFuncs, ...funcs };
    const parser = new Parser(lex(source), all);
    const nodes = parser.parseList(new Set());
    return new Template(nodes, all);
  }

  execute(data: unknown): string {
    const out: string[] = [];
    const vars = new Map<string, unknown>([['$', data]]);
    this.run(this.nodes, data, vars, out);
    return out.join('');
  }

  private run(nodes: Node[], dot: unknown, vars: Map<string, unknown>, out: string[]): void {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          out.push(n.text);
          break;
        case 'action': {
          const v = this.evalPipe(n.pipe, dot, vars);
          if (n.pipe.decl.length === 0) out.push(printValue(v));
          break;
        }
        case 'if': {
          const v = this.evalPipe(n.pipe, dot, vars);
          this.run(isTrue(v) ? n.then : n.else, dot, new Map(vars), out);
          break;
        }
        case 'with': {
          const v = this.evalPipe(n.pipe, dot, vars);
          if (isTrue(v)) this.run(n.then, v, new Map(vars), out);
          else this.run(n.else, dot, new Map(vars), out);
          break;
        }
        case 'range': {
          const decl = n.pipe.decl;
          const v = this.evalPipe({ decl: [], cmds: n.pipe.cmds }, dot, vars);
          const entries = iterate(v);
          if (entries.length === 0) {
            this.run(n.else, dot, new Map(vars), out);
            break;
          }
          for (const [k, item] of entries) {
            const scope = new Map(vars);
            if (decl.length === 1) scope.set(decl[0] as string, item);
            if (decl.length === 2) {
              scope.set(decl[0] as string, k);
              scope.set(decl[1] as string, item);
            }
            this.run(n.body, item, scope, out);
          }
          break;
        }
      }
    }
  }

  private evalPipe(pipe: Pipeline, dot: unknown, vars: Map<string, unknown>): unknown {
    let value: unknown = undefined;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.evalCmd(cmd, dot, vars, first ? undefined : { value });
      first = false;
    }
    if (pipe.decl.length === 1) vars.set(pipe.decl[0] as string, value);
    return value;
  }

  private evalCmd(cmd: Operand[], dot: unknown, vars: Map<string, unknown>, piped: { value: unknown } | undefined): unknown {
    const head = cmd[0];
    if (!head) throw invalidArgument('template: empty command');
    const extra = piped ? [piped.value] : [];
    if (head.kind === 'ident') {
      const fn = this.funcs[head.name];
      if (!fn) throw invalidArgument(`template: function "${head.name}" not defined`);
      const args = cmd.slice(1).map((o) => this.evalOperand(o, dot, vars, []));
      return fn(...args, ...extra);
    }
    // A field or method with arguments: `.Label "x"`.
    const args = cmd.slice(1).map((o) => this.evalOperand(o, dot, vars, []));
    if (cmd.length === 1 && !piped) return this.evalOperand(head, dot, vars, []);
    return this.evalOperand(head, dot, vars, [...args, ...extra]);
  }

  private evalOperand(op: Operand, dot: unknown, vars: Map<string, unknown>, args: unknown[]): unknown {
    switch (op.kind) {
      case 'dot':
        return dot;
      case 'lit':
        return op.value;
      case 'ident': {
        const fn = this.funcs[op.name];
        if (!fn) throw invalidArgument(`template: function "${op.name}" not defined`);
        return fn(...args);
      }
      case 'var': {
        if (!vars.has(op.name)) throw invalidArgument(`template: undefined variable "${op.name}"`);
        return walkPath(vars.get(op.name), op.path, args);
      }
      case 'field': {
        const base = op.base ? this.evalOperand(op.base, dot, vars, []) : dot;
        return walkPath(base, op.path, args);
      }
      case 'sub':
        return walkPath(this.evalPipe(op.pipe, dot, new Map(vars)), op.path, args);
    }
  }
}

function walkPath(value: unknown, path: string[], args: unknown[]): unknown {
  let v = value;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    const last = i === path.length - 1;
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'object') throw invalidArgument(`template: can't evaluate field ${key} in type ${typeof v}`);
    const obj = v as Record<string, unknown>;
    const member = obj[key];
    if (typeof member === 'function') {
      v = (member as TemplateFunc).apply(obj, last ? args : []);
    } else {
      if (last && args.length > 0) throw invalidArgument(`template: ${key} is not a method but has arguments`);
      v = member;
    }
  }
  return v;
}

function iterate(v: unknown): [unknown, unknown][] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (typeof v === 'number') return Array.from({ length: v }, (_, i) => [i, i]);
  if (typeof v === 'object') {
    return Object.keys(v)
      .sort()
      .map((k) => [k, (v as Record<string, unknown>)[k]]);
  }
  throw invalidArgument(`template: range can't iterate over ${String(v)}`);
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Prints a value the way Go's fmt %v does for JSON-shaped data. */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return '[' + v.map((x) => (x === null ? '<nil>' : printValue(x))).join(' ') + ']';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    return 'map[' + keys.map((k) => `${k}:${o[k] === null ? '<nil>' : printValue(o[k])}`).join(' ') + ']';
  }
  return String(v);
}

// ---------------------------------------------------------------- lexer

type Tok =
  | { t: 'text'; v: string }
  | { t: 'open' }
  | { t: 'close' }
  | { t: 'field'; v: string[] }
  | { t: 'var'; v: string; path: string[] }
  | { t: 'dot' }
  | { t: 'ident'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'pipe' }
  | { t: 'lparen' }
  | { t: 'rparen'; path: string[] }
  | { t: 'assign' }
  | { t: 'comma' };

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) toks.push({ t: 'text', v: text });
      break;
    }
    let j = open + 2;
    if (src[j] === '-' && /\s/.test(src[j + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      j += 1;
    }
    if (text) toks.push({ t: 'text', v: text });
    toks.push({ t: 'open' });
    // Comments: {{/* ... */}}
    const rest = src.slice(j).trimStart();
    if (rest.startsWith('/*')) {
      const endc = src.indexOf('*/', j);
      const close = endc < 0 ? -1 : src.indexOf('}}', endc);
      if (close < 0) throw invalidArgument('template: unclosed comment');
      toks.pop();
      i = close + 2;
      continue;
    }
    i = lexAction(src, j, toks);
    if (src[i - 3] === '-' && /\s/.test(src[i - 4] ?? '')) trimNext = true;
  }
  return toks;
}

const identStart = /[A-Za-z_]/;
const identChar = /[A-Za-z0-9_]/;

function readPath(src: string, i: number): [string[], number] {
  const path: string[] = [];
  while (src[i] === '.' && identStart.test(src[i + 1] ?? '')) {
    let j = i + 1;
    while (j < src.length && identChar.test(src[j] as string)) j++;
    path.push(src.slice(i + 1, j));
    i = j;
  }
  return [path, i];
}

function lexAction(src: string, i: number, toks: Tok[]): number {
  for (;;) {
    if (i >= src.length) throw invalidArgument('template: unclosed action');
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && src[i + 1] === '}' && src[i + 2] === '}' && /\s/.test(src[i - 1] ?? '')) {
      toks.push({ t: 'close' });
      return i + 3;
    }
    if (c === '}' && src[i + 1] === '}') {
      toks.push({ t: 'close' });
      return i + 2;
    }
    if (c === '|') {
      toks.push({ t: 'pipe' });
      i++;
    } else if (c === '(') {
      toks.push({ t: 'lparen' });
      i++;
    } else if (c === ')') {
      const [path, j] = readPath(src, i + 1);
      toks.push({ t: 'rparen', path });
      i = j;
    } else if (c === ',') {
      toks.push({ t: 'comma' });
      i++;
    } else if (c === ':' && src[i + 1] === '=') {
      toks.push({ t: 'assign' });
      i += 2;
    } else if (c === '=' ) {
      toks.push({ t: 'assign' });
      i += 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw invalidArgument('template: unterminated quoted string');
      toks.push({ t: 'str', v: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw invalidArgument('template: unterminated raw string');
      toks.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '.') {
      const [path, j] = readPath(src, i);
      if (path.length === 0) {
        toks.push({ t: 'dot' });
        i++;
      } else {
        toks.push({ t: 'field', v: path });
        i = j;
      }
    } else if (c === '$') {
      let j = i + 1;
      while (j < src.length && identChar.test(src[j] as string)) j++;
      const name = src.slice(i, j);
      const [path, k] = readPath(src, j);
      toks.push({ t: 'var', v: name, path });
      i = k;
    } else if (/[0-9-]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[0-9.eE+\-xa-fA-F]/.test(src[j] as string)) j++;
      const n = Number(src.slice(i, j));
      if (Number.isNaN(n)) throw invalidArgument(`template: bad number "${src.slice(i, j)}"`);
      toks.push({ t: 'num', v: n });
      i = j;
    } else if (identStart.test(c)) {
      let j = i + 1;
      while (j < src.length && identChar.test(src[j] as string)) j++;
      toks.push({ t: 'ident', v: src.slice(i, j) });
      i = j;
    } else {
      throw invalidArgument(`template: unexpected "${c}" in action`);
    }
  }
}

// ---------------------------------------------------------------- parser

class Parser {
  private pos = 0;

  constructor(
    private readonly toks: Tok[],
    private readonly funcs: Record<string, TemplateFunc>,
  ) {}

  /** Parses nodes until one of `stops` (`end`, `else`) opens an action; leaves it unconsumed. */
  parseList(stops: Set<string>): Node[] {
    const nodes: Node[] = [];
    while (this.pos < this.toks.length) {
      const tok = this.toks[this.pos] as Tok;
      if (tok.t === 'text') {
        nodes.push({ kind: 'text', text: tok.v });
        this.pos++;
        continue;
      }
      if (tok.t !== 'open') throw invalidArgument('template: unexpected token');
      const kw = this.toks[this.pos + 1];
      const word = kw?.t === 'ident' ? kw.v : '';
      if (stops.has(word)) return nodes;
      if (word === 'end' || word === 'else') throw invalidArgument(`template: unexpected {{${word}}}`);
      this.pos++;
      if (word === 'if' || word === 'with' || word === 'range') {
        this.pos++;
        nodes.push(this.parseControl(word));
      } else {
        const pipe = this.parsePipeline();
        this.expect('close');
        nodes.push({ kind: 'action', pipe });
      }
    }
    if (stops.size > 0) throw invalidArgument('template: unexpected EOF: missing {{end}}');
    return nodes;
  }

  private parseControl(word: 'if' | 'with' | 'range'): Node {
    const pipe = this.parsePipeline();
    this.expect('close');
    const body = this.parseList(new Set(['end', 'else']));
    let elseNodes: Node[] = [];
    this.expect('open');
    const kw = this.toks[this.pos] as Tok & { v: string };
    this.pos++;
    if (kw.v === 'else') {
      const next = this.toks[this.pos];
      if (next?.t === 'ident' && (next.v === 'if' || next.v === 'with') && word !== 'range') {
        // `{{else if x}}` is `{{else}}{{if x}}...{{end}}` sharing the outer end.
        this.pos++;
        elseNodes = [this.parseControl(next.v as 'if' | 'with')];
        return { kind: word, pipe, then: body, else: elseNodes };
      }
      this.expect('close');
      elseNodes = this.parseList(new Set(['end']));
      this.expect('open');
      this.pos++;
    }
    this.expect('close');
    return word === 'range' ? { kind: 'range', pipe, body, else: elseNodes } : { kind: word, pipe, then: body, else: elseNodes };
  }

  private parsePipeline(): Pipeline {
    const decl: string[] = [];
    // `$x :=` or `$i, $v :=`
    const save = this.pos;
    const a = this.toks[this.pos];
    if (a?.t === 'var' && a.path.length === 0) {
      const b = this.toks[this.pos + 1];
      if (b?.t === 'assign') {
        decl.push(a.v);
        this.pos += 2;
      } else if (b?.t === 'comma') {
        const c = this.toks[this.pos + 2];
        const d = this.toks[this.pos + 3];
        if (c?.t === 'var' && d?.t === 'assign') {
          decl.push(a.v, c.v);
          this.pos += 4;
        } else {
          this.pos = save;
        }
      }
    }
    const cmds: Operand[][] = [];
    for (;;) {
      const cmd: Operand[] = [];
      for (;;) {
        const t = this.toks[this.pos];
        if (!t || t.t === 'close' || t.t === 'pipe' || t.t === 'rparen') break;
        cmd.push(this.parseOperand());
      }
      if (cmd.length === 0) throw invalidArgument('template: missing value for command');
      cmds.push(cmd);
      if (this.toks[this.pos]?.t === 'pipe') {
        this.pos++;
        continue;
      }
      break;
    }
    return { decl, cmds };
  }

  private parseOperand(): Operand {
    const t = this.toks[this.pos] as Tok;
    this.pos++;
    switch (t.t) {
      case 'dot':
        return { kind: 'dot' };
      case 'field':
        return { kind: 'field', base: null, path: t.v };
      case 'var':
        return { kind: 'var', name: t.v, path: t.path };
      case 'str':
        return { kind: 'lit', value: t.v };
      case 'num':
        return { kind: 'lit', value: t.v };
      case 'ident':
        if (t.v === 'true' || t.v === 'false') return { kind: 'lit', value: t.v === 'true' };
        if (t.v === 'nil') return { kind: 'lit', value: null };
        if (!this.funcs[t.v]) throw invalidArgument(`template: function "${t.v}" not defined`);
        return { kind: 'ident', name: t.v };
      case 'lparen': {
        const pipe = this.parsePipeline();
        const close = this.toks[this.pos];
        if (close?.t !== 'rparen') throw invalidArgument('template: unclosed left paren');
        this.pos++;
        return { kind: 'sub', pipe, path: close.path };
      }
      default:
        throw invalidArgument(`template: unexpected ${t.t} in command`);
    }
  }

  private expect(t: Tok['t']): void {
    const tok = this.toks[this.pos];
    if (tok?.t !== t) throw invalidArgument(`template: expected ${t === 'close' ? '"}}"' : t}`);
    this.pos++;
  }
}

// ---------------------------------------------------------------- functions

function str(v: unknown): string {
  return typeof v === 'string' ? v : printValue(v);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return str(a) < str(b) ? -1 : str(a) > str(b) ? 1 : 0;
}

/** A small printf: %s %v %d %q %f %x and %%, with widths like %-10s. */
export function sprintf(format: string, ...args: unknown[]): string {
  let n = 0;
  return format.replace(/%([-0]?)(\d*)(?:\.(\d+))?([svdqfx%])/g, (_m, flag: string, width: string, prec: string, verb: string) => {
    if (verb === '%') return '%';
    const a = args[n++];
    let s: string;
    switch (verb) {
      case 'd':
        s = String(Math.trunc(Number(a)));
        break;
      case 'q':
        s = JSON.stringify(str(a));
        break;
      case 'f':
        s = Number(a).toFixed(prec ? Number(prec) : 6);
        break;
      case 'x':
        s = typeof a === 'number' ? a.toString(16) : Buffer.from(str(a)).toString('hex');
        break;
      default:
        s = str(a);
    }
    const w = width ? Number(width) : 0;
    if (s.length < w) s = flag === '-' ? s.padEnd(w) : s.padStart(w, flag === '0' ? '0' : ' ');
    return s;
  });
}

export const builtinFuncs: Record<string, TemplateFunc> = {
  json: (v) => JSON.stringify(v ?? null),
  join: (list, sep) => (Array.isArray(list) ? list.map(str).join(str(sep)) : str(list)),
  split: (s, sep) => str(s).split(str(sep)),
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  title: (s) => str(s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  truncate: (s, n) => Array.from(str(s)).slice(0, Number(n)).join(''),
  pad: (s, left, right) => ' '.repeat(Number(left)) + str(s) + ' '.repeat(Number(right)),
  println: (...a) => a.map(str).join(' ') + '\n',
  print: (...a) => a.map(str).join(''),
  printf: (f, ...a) => sprintf(str(f), ...a),
  len: (v) => {
    if (v === null || v === undefined) return 0;
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (typeof v === 'object') return Object.keys(v).length;
    throw invalidArgument(`template: len of ${typeof v}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) return undefined;
      cur = (cur as Record<string, unknown>)[k as string];
    }
    return cur;
  },
  eq: (a, ...bs) => bs.some((b) => a === b || (a !== null && b !== null && typeof a !== 'object' && str(a) === str(b) && typeof a === typeof b)),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  and: (...a) => {
    for (const x of a) if (!isTrue(x)) return x;
    return a[a.length - 1];
  },
  or: (...a) => {
    for (const x of a) if (isTrue(x)) return x;
    return a[a.length - 1];
  },
  not: (a) => !isTrue(a),
};
