import { readFileSync, writeFileSync } from 'node:fs';
import { wrap } from '../lib/index.ts';

/** Reads a sysctl by its dotted name ("net.ipv4.ip_forward"). */
export function readSysctl(name: string): string {
  const path = `/proc/sys/${name.replaceAll('.', '/')}`;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw wrap(err, `read sysctl ${JSON.stringify(name)}`);
  }
}

/** Writes a host sysctl by its dotted name. */
export function writeSysctl(name: string, value: string): void {
  const path = `/proc/sys/${name.replaceAll('.', '/')}`;
  try {
    writeFileSync(path, value);
  } catch (err) {
    throw wrap(err, `write sysctl ${JSON.stringify(name)} = ${JSON.stringify(value)}`);
  }
}
