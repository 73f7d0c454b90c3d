import { existsSync } from 'node:fs';
import { isAbsolute, posix } from 'node:path';
import { invalidArgument } from '../lib/index.ts';

/**
 * Daemon-side checks of the ways a container asks for mounts, with docker's rules and messages:
 * `HostConfig.Mounts` objects (`--mount`, already parsed by the client) and `HostConfig.Tmpfs`
 * option strings. The result has the container service's MountSpec shape. (`HostConfig.Binds`
 * strings are parsed by the container service.)
 */
export interface ParsedMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name ('' = anonymous) or '' (tmpfs). */
  source: string;
  target: string;
  readOnly: boolean;
  bindPropagation?: string;
  noCopy?: boolean;
  tmpfsSize?: number;
  tmpfsMode?: number;
  volumeLabels?: Record<string, string>;
  volumeDriverOpts?: Record<string, string>;
}

const propagations = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const volumeNameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's RAMInBytes: `64m`, `1g`, `512k`, `100` (bytes), with an optional `b`/`ib` suffix. */
export function parseByteSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(s.trim());
  if (!m) throw invalidArgument(`invalid size: '${s}'`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[unit] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

/**
 * Parses a `HostConfig.Tmpfs` value (`size=64m,mode=1777,noexec`): size and mode pulled out,
 * the other flags kept as mount options (validated against the ones tmpfs accepts).
 */
export function parseTmpfsOptions(value: string): { size?: number; mode?: number; options: string[] } {
  const out: { size?: number; mode?: number; options: string[] } = { options: [] };
  const flags = ['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'strictatime'];
  for (const opt of value.split(',').map((o) => o.trim()).filter(Boolean)) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const v = eq < 0 ? '' : opt.slice(eq + 1);
    if (key === 'size') out.size = parseByteSize(v);
    else if (key === 'mode') {
      if (!/^[0-7]{1,4}$/.test(v)) throw invalidArgument(`invalid tmpfs option "mode=${v}"`);
      out.mode = parseInt(v, 8);
    } else if (key === 'uid' || key === 'gid' || key === 'nr_inodes' || key === 'nr_blocks') {
      if (!/^\d+[kmg]?$/i.test(v)) throw invalidArgument(`invalid tmpfs option "${opt}"`);
      out.options.push(opt);
    } else if (eq < 0 && flags.includes(key)) out.options.push(key);
    else throw invalidArgument(`invalid tmpfs option "${opt}"`);
  }
  return out;
}

/** `HostConfig.Mounts[i]` as the Engine API sends it. */
export interface MountWire {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/**
 * Validates one `HostConfig.Mounts` entry as dockerd does (messages start with
 * `invalid mount config for type "bind"` ...); bind sources must exist unless CreateMountpoint.
 */
export function validateMount(m: MountWire): ParsedMount {
  const type = m.Type ?? '';
  const fail = (detail: string) => invalidArgument(`invalid mount config for type "${type}": ${detail}`);
  if (!m.Target) throw fail('field Target must not be empty');
  if (!isAbsolute(m.Target)) throw fail(`invalid mount path: '${m.Target}' mount path must be absolute`);
  const target = posix.normalize(m.Target);
  const readOnly = m.ReadOnly === true;
  switch (type) {
    case 'bind': {
      if (!m.Source) throw fail('field Source must not be empty');
      if (!isAbsolute(m.Source)) throw fail(`invalid mount path: '${m.Source}' mount path must be absolute`);
      if (m.VolumeOptions) throw fail('field VolumeOptions must not be specified');
      if (m.TmpfsOptions) throw fail('field TmpfsOptions must not be specified');
      if (!m.BindOptions?.CreateMountpoint && !existsSync(m.Source)) throw fail(`bind source path does not exist: ${m.Source}`);
      const p = m.BindOptions?.Propagation;
      if (p && !propagations.includes(p)) throw fail(`invalid propagation mode: ${p}`);
      return { type: 'bind', source: posix.normalize(m.Source), target, readOnly, ...(p ? { bindPropagation: p } : {}) };
    }
    case 'volume': {
      if (m.BindOptions) throw fail('field BindOptions must not be specified');
      if (m.TmpfsOptions) throw fail('field TmpfsOptions must not be specified');
      const source = m.Source ?? '';
      if (source && !volumeNameRe.test(source)) throw fail(`invalid volume name "${source}"`);
      const vo = m.VolumeOptions;
      return {
        type: 'volume',
        source,
        target,
        readOnly,
        ...(vo?.NoCopy ? { noCopy: true } : {}),
        ...(vo?.Labels ? { volumeLabels: vo.Labels } : {}),
        ...(vo?.DriverConfig?.Options ? { volumeDriverOpts: vo.DriverConfig.Options } : {}),
      };
    }
    case 'tmpfs': {
      if (m.Source) throw fail('field Source must not be specified');
      if (m.BindOptions) throw fail('field BindOptions must not be specified');
      if (m.VolumeOptions) throw fail('field VolumeOptions must not be specified');
      const t = m.TmpfsOptions;
      if (t?.SizeBytes !== undefined && t.SizeBytes < 0) throw fail(`invalid tmpfs size ${t.SizeBytes}`);
      return {
        type: 'tmpfs',
        source: '',
        target,
        readOnly,
        ...(t?.SizeBytes ? { tmpfsSize: t.SizeBytes } : {}),
        ...(t?.Mode ? { tmpfsMode: t.Mode } : {}),
      };
    }
    default:
      throw invalidArgument(`invalid mount config: mount type unknown: "${type}"`);
  }
}
