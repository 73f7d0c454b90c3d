import { readFileSync, readdirSync } from 'node:fs';

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or undefined if there is no such process. */
export function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = rest[19];
  return v === undefined ? undefined : Number(v);
}

/** The single-letter state of /proc/<pid>/stat (R, S, Z...), or undefined. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** True when `pid` runs and started at `startTime` (guards against pid reuse); zombies count as gone. */
export function isProcessAlive(pid: number, startTime?: number): boolean {
  if (pid <= 0) return false;
  const st = processStartTime(pid);
  if (st === undefined) return false;
  if (startTime !== undefined && st !== startTime) return false;
  return processState(pid) !== 'Z';
}

/** Proportional set size of a process in bytes, from /proc/<pid>/smaps_rollup. */
export function processPss(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const m = /^Pss:\s+(\d+) kB$/m.exec(text);
    return m?.[1] ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Children pids of a process (from /proc/<pid>/task/<tid>/children). */
export function processChildren(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(' ').map(Number));
    }
  } catch {
    // gone
  }
  return out;
}
