import { lineError, splitRawWords, type Flag, type Heredoc, type RawInstruction } from './parser.ts';

/**
 * Typed Dockerfile instructions. Arguments stay unexpanded (`raw`) where the build
 * substitutes variables later, because their values depend on ARG and ENV at that step.
 */
export type CommandForm = { kind: 'exec'; args: string[] } | { kind: 'shell'; text: string };

interface Base {
  line: number;
  original: string;
}

export interface FromInstruction extends Base { kind: 'FROM'; image: string; stageName: string | undefined; platform: string | undefined }
export interface RunInstruction extends Base {
  kind: 'RUN';
  command: CommandForm;
  heredocs: Heredoc[];
  mounts: string[];
  network: string | undefined;
  security: string | undefined;
}
export interface CmdInstruction extends Base { kind: 'CMD' | 'ENTRYPOINT'; command: CommandForm }
export interface ShellInstruction extends Base { kind: 'SHELL'; shell: string[] }
export interface CopyInstruction extends Base {
  kind: 'COPY' | 'ADD';
  /** Unexpanded sources, and the destination last in `dest`. */
  sources: string[];
  dest: string;
  /** Whether sources/dest came in JSON form (no word splitting; still expanded). */
  jsonForm: boolean;
  heredocs: Heredoc[];
  from: string | undefined;
  chown: string | undefined;
  chmod: string | undefined;
  link: boolean;
  parents: boolean;
  exclude: string[];
  checksum: string | undefined;
  keepGitDir: boolean;
}
export interface KeyValue { key: string; value: string }
export interface EnvInstruction extends Base { kind: 'ENV' | 'LABEL'; pairs: KeyValue[] }
export interface ArgInstruction extends Base { kind: 'ARG'; args: { name: string; defaultValue: string | undefined }[] }
export interface WordsInstruction extends Base { kind: 'EXPOSE' | 'VOLUME'; words: string[]; jsonForm: boolean }
export interface TextInstruction extends Base { kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER'; text: string }
export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  /** undefined for HEALTHCHECK NONE. */
  command: CommandForm | undefined;
  interval: number | undefined;
  timeout: number | undefined;
  startPeriod: number | undefined;
  startInterval: number | undefined;
  retries: number | undefined;
}
export interface OnbuildInstruction extends Base { kind: 'ONBUILD'; trigger: string }

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | ShellInstruction | CopyInstruction
  | EnvInstruction | ArgInstruction | WordsInstruction | TextInstruction | HealthcheckInstruction
  | OnbuildInstruction;

const allowedFlags: Record<string, string[]> = {
  FROM: ['platform'],
  RUN: ['mount', 'network', 'security'],
  COPY: ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'],
  ADD: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

function checkFlags(raw: RawInstruction): void {
  const allowed = allowedFlags[raw.keyword] ?? [];
  for (const f of raw.flags) {
    if (!allowed.includes(f.name)) throw lineError(raw.line, `unknown flag: --${f.name} for ${raw.keyword}`);
  }
}

function flag(flags: Flag[], name: string): string | undefined {
  let v: string | undefined;
  for (const f of flags) if (f.name === name) v = f.value ?? '';
  return v;
}

function boolFlag(raw: RawInstruction, name: string): boolean {
  const v = flag(raw.flags, name);
  if (v === undefined) return false;
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw lineError(raw.line, `--${name}: expected true or false, got "${v}"`);
}

function command(raw: RawInstruction): CommandForm {
  if (raw.json) return { kind: 'exec', args: raw.json };
  return { kind: 'shell', text: raw.args };
}

function requireArgs(raw: RawInstruction): void {
  if (raw.args.trim() === '' && raw.heredocs.length === 0) {
    throw lineError(raw.line, `${raw.keyword} requires at least one argument`);
  }
}

/** A Go-style duration (`30s`, `1m30s`, `500ms`) in nanoseconds, as image configs store it. */
export function parseDuration(text: string, line: number, what: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0].length;
  }
  if (text === '' || consumed !== text.length) throw lineError(line, `${what}: invalid duration "${text}"`);
  return Math.round(total);
}

/** Parses `key=value` pairs (ENV, LABEL); legacy `ENV key value` when there is no `=`. */
function keyValues(raw: RawInstruction, escape: string): KeyValue[] {
  const words = splitRawWords(raw.args, escape);
  if (words.length === 0) throw lineError(raw.line, `${raw.keyword} requires at least one argument`);
  if (raw.keyword === 'ENV' && !words[0]!.includes('=')) {
    if (words.length < 2) throw lineError(raw.line, `ENV must have two arguments`);
    const value = raw.args.trim().slice(words[0]!.length).trim();
    return [{ key: words[0]!, value }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw lineError(raw.line, `${raw.keyword} names can not be blank: "${w}" is not key=value`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

/** Turns a raw instruction into its typed form, checking everything that needs no build state. */
export function toInstruction(raw: RawInstruction, escape = '\\'): Instruction {
  checkFlags(raw);
  const base = { line: raw.line, original: raw.original };
  switch (raw.keyword) {
    case 'FROM': {
      const words = splitRawWords(raw.args, escape);
      if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === 'AS')) {
        throw lineError(raw.line, `FROM requires either one or three arguments: FROM <image> [AS <name>]`);
      }
      const stageName = words[2]?.toLowerCase();
      if (stageName !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(stageName)) {
        throw lineError(raw.line, `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
      }
      return { ...base, kind: 'FROM', image: words[0]!, stageName, platform: flag(raw.flags, 'platform') };
    }
    case 'RUN':
      requireArgs(raw);
      return {
        ...base,
        kind: 'RUN',
        command: command(raw),
        heredocs: raw.heredocs,
        mounts: raw.flags.filter((f) => f.name === 'mount').map((f) => f.value ?? ''),
        network: flag(raw.flags, 'network'),
        security: flag(raw.flags, 'security'),
      };
    case 'CMD':
    case 'ENTRYPOINT':
      return { ...base, kind: raw.keyword, command: command(raw) };
    case 'SHELL':
      if (!raw.json || raw.json.length === 0) throw lineError(raw.line, `SHELL requires the arguments to be in JSON form`);
      return { ...base, kind: 'SHELL', shell: raw.json };
    case 'COPY':
    case 'ADD': {
      requireArgs(raw);
      // Heredoc markers (`<<EOF`) stand for sources whose content follows; they are not paths.
      const markers = new Set(raw.heredocs.map((h) => h.name));
      const words = (raw.json ?? splitRawWords(raw.args, escape)).filter((w) => {
        const m = /^<<-?(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1$/.exec(w);
        return !(m && markers.has(m[2]!));
      });
      const min = raw.heredocs.length > 0 ? 1 : 2;
      if (words.length < min) throw lineError(raw.line, `${raw.keyword} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      const dest = words[words.length - 1]!;
      const chmod = flag(raw.flags, 'chmod');
      if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod) && !/^[ugoa]*[+-=][rwxXst]*(,[ugoa]*[+-=][rwxXst]*)*$/.test(chmod)) {
        throw lineError(raw.line, `invalid --chmod value "${chmod}"`);
      }
      return {
        ...base,
        kind: raw.keyword,
        sources: words.slice(0, -1),
        dest,
        jsonForm: raw.json !== undefined,
        heredocs: raw.heredocs,
        from: flag(raw.flags, 'from'),
        chown: flag(raw.flags, 'chown'),
        chmod,
        link: boolFlag(raw, 'link'),
        parents: boolFlag(raw, 'parents'),
        exclude: raw.flags.filter((f) => f.name === 'exclude').map((f) => f.value ?? ''),
        checksum: flag(raw.flags, 'checksum'),
        keepGitDir: boolFlag(raw, 'keep-git-dir'),
      };
    }
    case 'ENV':
    case 'LABEL':
      return { ...base, kind: raw.keyword, pairs: keyValues(raw, escape) };
    case 'ARG': {
      const words = splitRawWords(raw.args, escape);
      if (words.length === 0) throw lineError(raw.line, `ARG requires at least one argument`);
      return {
        ...base,
        kind: 'ARG',
        args: words.map((w) => {
          const eq = w.indexOf('=');
          const name = eq < 0 ? w : w.slice(0, eq);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw lineError(raw.line, `ARG: invalid name "${name}"`);
          return { name, defaultValue: eq < 0 ? undefined : w.slice(eq + 1) };
        }),
      };
    }
    case 'EXPOSE':
    case 'VOLUME': {
      const words = raw.json ?? splitRawWords(raw.args, escape);
      if (words.length === 0) throw lineError(raw.line, `${raw.keyword} requires at least one argument`);
      return { ...base, kind: raw.keyword, words, jsonForm: raw.json !== undefined };
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      if (raw.args.trim() === '') throw lineError(raw.line, `${raw.keyword} requires exactly one argument`);
      if (raw.keyword === 'STOPSIGNAL' && splitRawWords(raw.args, escape).length !== 1) {
        throw lineError(raw.line, `STOPSIGNAL requires exactly one argument`);
      }
      return { ...base, kind: raw.keyword, text: raw.args.trim() };
    case 'HEALTHCHECK': {
      const words = splitRawWords(raw.args, escape);
      const dur = (name: string) => {
        const v = flag(raw.flags, name);
        return v === undefined ? undefined : parseDuration(v, raw.line, `HEALTHCHECK --${name}`);
      };
      const retriesText = flag(raw.flags, 'retries');
      let retries: number | undefined;
      if (retriesText !== undefined) {
        retries = Number(retriesText);
        if (!Number.isInteger(retries) || retries < 0) throw lineError(raw.line, `HEALTHCHECK --retries: invalid value "${retriesText}"`);
      }
      const type = words[0]?.toUpperCase();
      if (type === 'NONE') {
        if (words.length > 1 || raw.flags.length > 0) throw lineError(raw.line, `HEALTHCHECK NONE takes no other arguments`);
        return { ...base, kind: 'HEALTHCHECK', command: undefined, interval: undefined, timeout: undefined, startPeriod: undefined, startInterval: undefined, retries: undefined };
      }
      if (type !== 'CMD') throw lineError(raw.line, `HEALTHCHECK: unknown type "${words[0] ?? ''}": expected CMD or NONE`);
      const rest = raw.args.trim().slice(3).trim();
      if (rest === '') throw lineError(raw.line, `HEALTHCHECK CMD requires a command`);
      let cmd: CommandForm = { kind: 'shell', text: rest };
      if (rest.startsWith('[')) {
        try {
          const parsed: unknown = JSON.parse(rest);
          if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) cmd = { kind: 'exec', args: parsed as string[] };
        } catch {
          // shell form
        }
      }
      return { ...base, kind: 'HEALTHCHECK', command: cmd, interval: dur('interval'), timeout: dur('timeout'), startPeriod: dur('start-period'), startInterval: dur('start-interval'), retries };
    }
    case 'ONBUILD': {
      const trigger = raw.args.trim();
      const kw = trigger.split(/\s+/)[0]?.toUpperCase() ?? '';
      if (trigger === '') throw lineError(raw.line, `ONBUILD requires at least one argument`);
      if (kw === 'ONBUILD') throw lineError(raw.line, `chaining ONBUILD via \`ONBUILD ONBUILD\` isn't allowed`);
      if (kw === 'FROM' || kw === 'MAINTAINER') throw lineError(raw.line, `${kw} isn't allowed as an ONBUILD trigger`);
      return { ...base, kind: 'ONBUILD', trigger };
    }
    default:
      throw lineError(raw.line, `unknown instruction: ${raw.keyword}`);
  }
}
