import type { ThrottleDeviceWire, WeightDeviceWire } from '../../api/types/index.ts';
import { UsageError } from '../parse/flags.ts';
import { parseBytes } from './units.ts';

/** Block I/O and device cgroup flags, checked as the docker CLI checks them. */

const flagError = (flag: string, value: string, why: string) => new UsageError(`invalid argument "${value}" for "${flag}" flag: ${why}`);

function splitDevice(value: string, flag: string): [string, string] {
  const parts = value.split(':');
  if (parts.length !== 2) throw flagError(flag, value, `bad format: ${value}`);
  const [path, rest] = parts as [string, string];
  if (!path.startsWith('/dev/')) throw flagError(flag, value, `bad format for device path: ${value}`);
  return [path, rest];
}

/** `--blkio-weight-device /dev/sda:200` (weight 10 to 1000, or 0). */
export function parseWeightDevice(value: string): WeightDeviceWire {
  const flag = '--blkio-weight-device';
  const [path, w] = splitDevice(value, flag);
  const weight = /^\d+$/.test(w) ? Number(w) : NaN;
  if (!Number.isInteger(weight) || weight > 65535 || (weight > 0 && (weight < 10 || weight > 1000))) {
    throw flagError(flag, value, `invalid weight for device: ${value}`);
  }
  return { Path: path, Weight: weight };
}

/** `--device-read-bps /dev/sda:1mb` (a size with an optional kb, mb, gb unit). */
export function parseThrottleBps(value: string, flag: string): ThrottleDeviceWire {
  const [path, r] = splitDevice(value, flag);
  let rate: number;
  try {
    rate = parseBytes(r, flag);
  } catch {
    rate = -1;
  }
  if (rate < 0) {
    throw flagError(flag, value, `invalid rate for device: ${value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
  }
  return { Path: path, Rate: rate };
}

/** `--device-read-iops /dev/sda:1000`. */
export function parseThrottleIops(value: string, flag: string): ThrottleDeviceWire {
  const [path, r] = splitDevice(value, flag);
  if (!/^\d+$/.test(r)) {
    throw flagError(flag, value, `invalid rate for device: ${value}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  }
  return { Path: path, Rate: Number(r) };
}

/** `--device-cgroup-rule 'c 1:3 rwm'`. */
export function parseDeviceCgroupRule(value: string): string {
  if (!/^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/.test(value)) {
    throw flagError('--device-cgroup-rule', value, `invalid device cgroup format '${value}'`);
  }
  return value;
}

/** `--blkio-weight`: 10 to 1000, or 0 to leave it alone. */
export function checkBlkioWeight(weight: number): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > 65535) throw flagError('--blkio-weight', String(weight), 'value out of range');
  return weight;
}
