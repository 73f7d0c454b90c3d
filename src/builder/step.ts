import { posix } from 'node:path';
import { invalidArgument } from '../lib/index.ts';
import { expandString, expandWords, type Env } from './dockerfile/index.ts';
import type { CommandForm, Instruction } from './dockerfile/index.ts';
import { envMap, setEnv, type ContainerConfig } from './image-config.ts';

/**
 * Build state of one stage between steps: the image config so far, the ARGs in scope, and
 * what the executor needs to expand variables. Metadata instructions are applied here,
 * purely; RUN, COPY, ADD and WORKDIR's directory are carried out by the executor.
 */
export interface StageState {
  config: ContainerConfig;
  /** ARGs declared in this stage with their effective values (undefined: declared, no value). */
  args: Map<string, string | undefined>;
  /** Whether CMD was set in this stage (ENTRYPOINT resets an inherited CMD otherwise). */
  cmdSet: boolean;
  escape: string;
}

/** ARGs docker defines without a declaration (proxies), usable from --build-arg. */
export const predefinedArgs = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

/** The variables visible to expansion at this step: args in scope, then the config's Env over them. */
export function expansionEnv(state: StageState): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of state.args) if (v !== undefined) m.set(k, v);
  for (const [k, v] of envMap(state.config.Env)) m.set(k, v);
  return m;
}

/** The environment a RUN sees: the config's Env plus the args in scope that Env does not set. */
export function runEnv(state: StageState): string[] {
  const env = [...(state.config.Env ?? [])];
  const set = envMap(env);
  for (const [k, v] of state.args) if (v !== undefined && !set.has(k)) env.push(`${k}=${v}`);
  return env;
}

/** The shell form of a command turned into argv with the stage's SHELL. */
export function commandArgv(command: CommandForm, config: ContainerConfig): string[] {
  if (command.kind === 'exec') return command.args;
  return [...(config.Shell ?? ['/bin/sh', '-c']), command.text];
}

/** Port spec `80`, `80/udp`, `8000-8002/tcp` → exposed-port keys. */
export function exposedPorts(word: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
  if (!m) throw invalidArgument(`invalid containerPort: ${word}`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) throw invalidArgument(`invalid port range: ${word}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto}`);
  return out;
}

/**
 * Applies a metadata instruction to the stage state. Returns the history text for it.
 * `buildArgs` are the --build-arg values; `metaArgs` the values of ARGs before FROM.
 */
export function applyMetadata(
  state: StageState,
  ins: Instruction,
  options: { buildArgs: ReadonlyMap<string, string>; metaArgs: Env; usedArgs?: Set<string> },
): string {
  const env = expansionEnv(state);
  const x = { escape: state.escape };
  const one = (text: string) => expandString(text, env, x);
  const c = state.config;
  switch (ins.kind) {
    case 'ENV': {
      for (const { key, value } of ins.pairs) {
        const v = one(value);
        c.Env = setEnv(c.Env, one(key), v);
        env.set(one(key), v);
      }
      return `ENV ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
    }
    case 'LABEL': {
      const labels = { ...(c.Labels ?? {}) };
      for (const { key, value } of ins.pairs) labels[one(key)] = one(value);
      c.Labels = labels;
      return `LABEL ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
    }
    case 'ARG': {
      for (const { name, defaultValue } of ins.args) {
        let value = defaultValue === undefined ? options.metaArgs.get(name) : one(defaultValue);
        if (options.buildArgs.has(name)) {
          value = options.buildArgs.get(name);
          options.usedArgs?.add(name);
        }
        state.args.set(name, value);
      }
      return `ARG ${ins.args.map((a) => (a.defaultValue === undefined ? a.name : `${a.name}=${a.defaultValue}`)).join(' ')}`;
    }
    case 'EXPOSE': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const w of ins.words.flatMap((w) => expandWords(w, env, x))) for (const p of exposedPorts(w)) ports[p] = {};
      c.ExposedPorts = ports;
      return `EXPOSE map[${Object.keys(ports).join(' ')}]`;
    }
    case 'VOLUME': {
      const vols = { ...(c.Volumes ?? {}) };
      const words = ins.jsonForm ? ins.words.map(one) : ins.words.flatMap((w) => expandWords(w, env, x));
      for (const w of words) {
        if (w.trim() === '') throw invalidArgument(`VOLUME specified can not be an empty string`);
        vols[w] = {};
      }
      c.Volumes = vols;
      return `VOLUME [${words.join(' ')}]`;
    }
    case 'USER':
      c.User = one(ins.text);
      return `USER ${c.User}`;
    case 'STOPSIGNAL':
      c.StopSignal = one(ins.text);
      return `STOPSIGNAL ${c.StopSignal}`;
    case 'MAINTAINER':
      return `MAINTAINER ${ins.text}`;
    case 'WORKDIR': {
      const dir = one(ins.text);
      c.WorkingDir = posix.resolve(c.WorkingDir || '/', dir);
      return `WORKDIR ${c.WorkingDir}`;
    }
    case 'SHELL':
      c.Shell = ins.shell;
      return `SHELL [${ins.shell.map((s) => JSON.stringify(s)).join(' ')}]`;
    case 'CMD':
      c.Cmd = commandArgv(ins.command, c);
      state.cmdSet = true;
      return `CMD ${JSON.stringify(c.Cmd)}`;
    case 'ENTRYPOINT':
      c.Entrypoint = commandArgv(ins.command, c);
      if (!state.cmdSet) c.Cmd = null;
      return `ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`;
    case 'HEALTHCHECK': {
      if (!ins.command) {
        c.Healthcheck = { Test: ['NONE'] };
        return 'HEALTHCHECK NONE';
      }
      const test = ins.command.kind === 'exec' ? ['CMD', ...ins.command.args] : ['CMD-SHELL', ins.command.text];
      const hc: ContainerConfig['Healthcheck'] = { Test: test };
      if (ins.interval !== undefined) hc.Interval = ins.interval;
      if (ins.timeout !== undefined) hc.Timeout = ins.timeout;
      if (ins.startPeriod !== undefined) hc.StartPeriod = ins.startPeriod;
      if (ins.startInterval !== undefined) hc.StartInterval = ins.startInterval;
      if (ins.retries !== undefined) hc.Retries = ins.retries;
      c.Healthcheck = hc;
      return `HEALTHCHECK &{${JSON.stringify(test)}}`;
    }
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), ins.trigger];
      return `ONBUILD ${ins.trigger}`;
    default:
      throw invalidArgument(`${ins.kind} is not a metadata instruction`);
  }
}
