import { invalidArgument } from '../lib/index.ts';
import type { ContainerConfig, HealthConfig } from './types.ts';

/**
 * The runtime part of an image config (OCI image spec `config` object; Healthcheck is docker's
 * extension). Field names are the spec's own.
 */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, unknown> | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, unknown> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: {
    Test?: string[] | null;
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    StartInterval?: number;
    Retries?: number;
  } | null;
  OnBuild?: string[] | null;
}

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const envKey = (kv: string) => {
  const i = kv.indexOf('=');
  return i < 0 ? kv : kv.slice(0, i);
};

/** Merges env lists: later entries override earlier ones with the same key, order kept. */
export function mergeEnv(base: readonly string[], over: readonly string[]): string[] {
  const out = [...base];
  for (const kv of over) {
    const i = out.findIndex((e) => envKey(e) === envKey(kv));
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  }
  return out;
}

/**
 * Docker's merge of the user's Config with the image's (daemon/create.go merge()):
 * user values win; Env merged by key; ExposedPorts/Volumes/Labels unioned; with no user
 * Entrypoint the image Cmd is used when the user gave no Cmd, and the image Entrypoint when the
 * user's is null (an explicit empty Entrypoint resets it).
 */
export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig | undefined): ContainerConfig {
  const img = image ?? {};
  const out: ContainerConfig = { ...user };
  out.env = mergeEnv(img.Env ?? [], user.env);
  if (!user.user) out.user = img.User ?? '';
  if (!user.workingDir) out.workingDir = img.WorkingDir ?? '';
  out.exposedPorts = union(Object.keys(img.ExposedPorts ?? {}), user.exposedPorts);
  out.volumes = union(Object.keys(img.Volumes ?? {}), user.volumes);
  out.labels = { ...(img.Labels ?? {}), ...user.labels };
  if (!user.stopSignal) out.stopSignal = img.StopSignal ?? '';
  if (!user.entrypoint || user.entrypoint.length === 0) {
    if (!user.cmd || user.cmd.length === 0) {
      out.cmd = img.Cmd ?? null;
      if (img.ArgsEscaped !== undefined) out.argsEscaped = img.ArgsEscaped;
    }
    if (user.entrypoint === null) out.entrypoint = img.Entrypoint ?? null;
  }
  out.healthcheck = mergeHealth(user.healthcheck, img.Healthcheck);
  return out;
}

function mergeHealth(user: HealthConfig | null, image: ImageRuntimeConfig['Healthcheck']): HealthConfig | null {
  const img: HealthConfig | null = image
    ? {
        test: image.Test ?? [],
        interval: image.Interval ?? 0,
        timeout: image.Timeout ?? 0,
        startPeriod: image.StartPeriod ?? 0,
        startInterval: image.StartInterval ?? 0,
        retries: image.Retries ?? 0,
      }
    : null;
  if (!user) return img;
  if (!img) return user;
  return {
    test: user.test.length > 0 ? user.test : img.test,
    interval: user.interval || img.interval,
    timeout: user.timeout || img.timeout,
    startPeriod: user.startPeriod || img.startPeriod,
    startInterval: user.startInterval || img.startInterval,
    retries: user.retries || img.retries,
  };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** Entrypoint + Cmd as the process path and args; docker's error when both are empty. */
export function commandOf(config: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(config.entrypoint ?? []), ...(config.cmd ?? [])];
  const path = argv[0];
  if (path === undefined || path === '') throw invalidArgument('no command specified');
  return { path, args: argv.slice(1) };
}
