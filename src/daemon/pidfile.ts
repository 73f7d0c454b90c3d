import { readFileSync, rmSync } from 'node:fs';
import { failedPrecondition, writeFileAtomicSync } from '../lib/index.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of `pid`, '' when it cannot be read. */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Claims the pidfile: refuses when it names another live berthd (a pid reused by an unrelated
 * process after a crash does not count), otherwise writes our pid atomically. Returns a release
 * function that removes the file only if it still holds our pid.
 */
export function acquirePidfile(path: string, pid = process.pid): () => void {
  let previous: number | undefined;
  try {
    previous = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    previous = undefined;
  }
  if (previous && previous !== pid && isAlive(previous) && /berthd/.test(cmdline(previous))) {
    throw failedPrecondition(`pid file found, ensure berthd is not running or delete ${path} (pid ${previous})`);
  }
  writeFileAtomicSync(path, `${pid}\n`);
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(pid)) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
}
