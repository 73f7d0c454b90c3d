import { UsageError } from '../parse/flags.ts';

const binary: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Docker's RAMInBytes: `512m`, `1g`, `64k`, `1024`, `2gb`, `1.5g` (binary units, case
 * insensitive, optional trailing "b"). `-1` is allowed for unlimited swap.
 */
export function parseBytes(value: string, flag: string): number {
  const m = /^(-?\d+(?:\.\d+)?)\s*([kmgtpb]?)b?$/i.exec(value.trim());
  if (!m) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (n === -1 && unit === '') return -1;
  if (n < 0) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`);
  return Math.floor(n * (binary[unit] ?? 1));
}

const durationUnits: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds: `30s`, `1m30s`, `500ms`, `1.5h`, `0`. */
export function parseDuration(value: string, flag: string): number {
  const v = value.trim();
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let sign = 1;
  if (v.startsWith('-') || v.startsWith('+')) {
    sign = v.startsWith('-') ? -1 : 1;
    pos = 1;
  }
  re.lastIndex = pos;
  let matched = false;
  while (re.lastIndex < v.length) {
    const m = re.exec(v);
    if (!m) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: time: invalid duration "${value}"`);
    total += Number(m[1]) * (durationUnits[m[2] as string] ?? 0);
    matched = true;
  }
  if (!matched) throw new UsageError(`invalid argument "${value}" for "${flag}" flag: time: invalid duration "${value}"`);
  return Math.round(sign * total);
}

/** `--cpus 1.5` → 1500000000 NanoCPUs. */
export function parseCpus(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') {
    throw new UsageError(`invalid argument "${value}" for "--cpus" flag: failed to parse ${value} as a rational number`);
  }
  return Math.round(n * 1e9);
}
