import { closeSync } from 'node:fs';
import { wrap } from '../../lib/index.ts';
import { nativeSys } from '../../sys/index.ts';
import type { NativeSys } from '../../sys/index.ts';
import type { LinuxDeviceCgroup } from '../spec/index.ts';
import { DEVICE_PROGRAM_LICENSE, compileDeviceFilter } from './devicefilter.ts';

export const BPF_F_ALLOW_MULTI = 2;

/**
 * Puts the device program of `rules` on the cgroup v2 directory `dir`, in place of the device
 * programs attached there before (by an earlier create or update): the new one is attached
 * first, so there is no moment without a filter, then the old ones are detached. Programs of
 * ancestor cgroups are left alone; the kernel runs them all and any denial wins.
 */
export function setDeviceProgram(dir: string, rules: readonly LinuxDeviceCgroup[], sys: NativeSys = nativeSys()): void {
  const program = compileDeviceFilter(rules);
  let old: number[];
  try {
    old = sys.bpfQueryDevice(dir);
  } catch (err) {
    throw wrap(err, `cgroup devices: query programs of ${JSON.stringify(dir)}`);
  }
  let fd: number;
  try {
    fd = sys.bpfLoadDeviceProgram(program, DEVICE_PROGRAM_LICENSE);
  } catch (err) {
    throw wrap(err, 'cgroup devices: load the device program');
  }
  try {
    sys.bpfAttachDevice(dir, fd, BPF_F_ALLOW_MULTI);
  } catch (err) {
    throw wrap(err, `cgroup devices: attach the device program to ${JSON.stringify(dir)}`);
  } finally {
    closeSync(fd);
  }
  for (const id of old) {
    try {
      sys.bpfDetachDevice(dir, id);
    } catch (err) {
      throw wrap(err, `cgroup devices: detach program ${id} from ${JSON.stringify(dir)}`);
    }
  }
}

/** Ids of the device programs attached to the cgroup v2 directory itself. */
export function deviceProgramIds(dir: string, sys: NativeSys = nativeSys()): number[] {
  return sys.bpfQueryDevice(dir);
}
