import { BerthError } from '../../lib/index.ts';

/** bool: `--rm`; string: last wins; list: repeatable; int: a whole number. */
export type FlagKind = 'bool' | 'string' | 'list' | 'int';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  description: string;
  /** Shown in help: `--name string`. */
  valueName?: string;
  default?: string | boolean | number;
  /** Other long names for the same flag (`--memory` and `-m`, `--time` for `-t`...). */
  aliases?: string[];
  hidden?: boolean;
}

export interface CommandSpec {
  /** `berth run [OPTIONS] IMAGE [COMMAND] [ARG...]` without the program name. */
  usage: string;
  description: string;
  flags: FlagSpec[];
  minArgs?: number;
  maxArgs?: number;
  /** false: flags stop at the first positional (run, exec: the rest is the command). */
  interspersed?: boolean;
}

/** A command-line mistake: printed with "See 'berth X --help'." and exit status 125. */
export class UsageError extends BerthError {
  constructor(message: string) {
    super('invalid-argument', message);
    this.name = 'UsageError';
  }
}

export function isUsageError(err: unknown): err is UsageError {
  return err instanceof UsageError;
}

type Value = string | boolean | number | string[];

/** Parsed flag values by long name, with typed getters. */
export class ParsedFlags {
  private readonly values = new Map<string, Value>();
  private readonly specs = new Map<string, FlagSpec>();

  constructor(specs: readonly FlagSpec[]) {
    for (const s of specs) this.specs.set(s.name, s);
  }

  /** @internal used by the parser */
  set(name: string, v: Value): void {
    this.values.set(name, v);
  }

  /** True when the flag was given on the command line. */
  changed(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    if (v === undefined) {
      const d = this.specs.get(name)?.default;
      return d === undefined ? undefined : String(d);
    }
    return Array.isArray(v) ? v[v.length - 1] : String(v);
  }

  bool(name: string): boolean {
    const v = this.values.get(name);
    if (v === undefined) return this.specs.get(name)?.default === true;
    return v === true;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  int(name: string): number | undefined {
    const v = this.values.get(name);
    if (v === undefined) {
      const d = this.specs.get(name)?.default;
      return typeof d === 'number' ? d : undefined;
    }
    return typeof v === 'number' ? v : undefined;
  }
}

function parseBool(name: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new UsageError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function assign(flags: ParsedFlags, spec: FlagSpec, raw: string, shown: string): void {
  switch (spec.kind) {
    case 'bool':
      flags.set(spec.name, parseBool(spec.name, raw));
      break;
    case 'string':
      flags.set(spec.name, raw);
      break;
    case 'list':
      flags.set(spec.name, [...flags.list(spec.name), raw]);
      break;
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) {
        throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      }
      flags.set(spec.name, Number(raw));
      break;
    }
  }
}

/**
 * Parses argv the way docker's pflag does: `--name=v`, `--name v`, `-abc` bundles of bool shorts,
 * `-p8080:80` and `-e=A` for valued shorts, `--` ends flags; with `interspersed: false` the first
 * positional ends flags. `--help`/`-h` is reported as `help`.
 */
export function parseFlags(spec: CommandSpec, argv: readonly string[]): { flags: ParsedFlags; args: string[]; help: boolean } {
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const f of spec.flags) {
    byLong.set(f.name, f);
    for (const a of f.aliases ?? []) byLong.set(a, f);
    if (f.short) byShort.set(f.short, f);
  }
  const flags = new ParsedFlags(spec.flags);
  const args: string[] = [];
  let help = false;
  let i = 0;
  const interspersed = spec.interspersed ?? true;
  while (i < argv.length) {
    const a = argv[i] as string;
    i++;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const f = byLong.get(name);
      if (!f) {
        if (name === 'help') {
          help = true;
          continue;
        }
        throw new UsageError(`unknown flag: --${name}`);
      }
      if (eq >= 0) assign(flags, f, a.slice(eq + 1), `--${name}`);
      else if (f.kind === 'bool') flags.set(f.name, true);
      else {
        if (i >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        assign(flags, f, argv[i] as string, `--${name}`);
        i++;
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j] as string;
        const f = byShort.get(c);
        if (!f) {
          if (c === 'h') {
            help = true;
            continue;
          }
          throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        }
        if (f.kind === 'bool') {
          if (a[j + 1] === '=') {
            assign(flags, f, a.slice(j + 2), `-${c}`);
            break;
          }
          flags.set(f.name, true);
          continue;
        }
        let rest = a.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        if (rest) assign(flags, f, rest, `-${c}, --${f.name}`);
        else {
          if (i >= argv.length) throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
          assign(flags, f, argv[i] as string, `-${c}, --${f.name}`);
          i++;
        }
        break;
      }
      continue;
    }
    args.push(a);
    if (!interspersed) {
      args.push(...argv.slice(i));
      break;
    }
  }
  return { flags, args, help };
}

/** Checks the positional count against the spec; throws docker's wording. */
export function checkArgs(spec: CommandSpec, args: readonly string[], command: string): void {
  const min = spec.minArgs ?? 0;
  const max = spec.maxArgs ?? Infinity;
  if (args.length < min) {
    throw new UsageError(
      min === 1 && max === 1
        ? `"${command}" requires exactly 1 argument.`
        : `"${command}" requires at least ${min} argument${min === 1 ? '' : 's'}.`,
    );
  }
  if (args.length > max) {
    throw new UsageError(
      max === 0 ? `"${command}" accepts no arguments.` : `"${command}" requires at most ${max} argument${max === 1 ? '' : 's'}.`,
    );
  }
}

/** The `--help` text for a command. */
export function helpText(program: string, spec: CommandSpec): string {
  const lines = [`\nUsage:  ${program} ${spec.usage}\n`, spec.description + '\n'];
  const visible = spec.flags.filter((f) => !f.hidden);
  if (visible.length) {
    lines.push('Options:');
    const rows = visible.map((f) => {
      const left = (f.short ? `  -${f.short}, ` : '      ') + `--${f.name}` + (f.kind === 'bool' ? '' : ` ${f.valueName ?? (f.kind === 'list' ? 'list' : f.kind)}`);
      const def = f.default !== undefined && f.default !== false && f.default !== '' ? ` (default ${JSON.stringify(f.default)})` : '';
      return [left, f.description + def] as const;
    });
    const w = Math.max(...rows.map((r) => r[0].length)) + 3;
    for (const [l, r] of rows) lines.push(l.padEnd(w) + r);
  }
  return lines.join('\n') + '\n';
}
