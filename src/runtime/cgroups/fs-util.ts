import { closeSync, openSync, readFileSync, writeFileSync, writeSync, readdirSync, existsSync, statSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { errorCode, wrap, berthError } from '../../lib/index.ts';

/** Writes a cgroup file, with the file and value in the error: `write "memory.max" = "1": ...`. */
export function writeCgroupFile(dir: string, file: string, value: string): void {
  try {
    writeFileSync(join(dir, file), value);
  } catch (err) {
    throw wrap(err, `write ${JSON.stringify(join(dir, file))} = ${JSON.stringify(value)}`);
  }
}

/**
 * Writes each [file, value] in order, one write(2) per value (devices.allow and devices.deny
 * take one rule per write), each file opened once.
 */
export function writeCgroupLines(dir: string, writes: readonly (readonly [string, string])[]): void {
  const fds = new Map<string, number>();
  try {
    for (const [file, value] of writes) {
      const path = join(dir, file);
      try {
        let fd = fds.get(file);
        if (fd === undefined) fds.set(file, (fd = openSync(path, 'w')));
        writeSync(fd, value);
      } catch (err) {
        throw wrap(err, `write ${JSON.stringify(path)} = ${JSON.stringify(value)}`);
      }
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

export function readCgroupFile(dir: string, file: string): string {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    throw wrap(err, `read ${JSON.stringify(join(dir, file))}`);
  }
}

/** A file's content, or undefined when it does not exist. */
export function readOptional(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'not-found') return undefined;
    throw wrap(err, `read ${JSON.stringify(join(dir, file))}`);
  }
}

export function hasFile(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** A number from a cgroup file; undefined for "max" / absent files. */
export function readNumber(dir: string, file: string): number | undefined {
  const text = readOptional(dir, file)?.trim();
  if (text === undefined || text === '' || text === 'max') return undefined;
  const n = Number(text.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines → record. */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** The pids listed in `cgroup.procs` of `dir` and every directory below it. */
export function collectPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    const text = readOptional(d, 'cgroup.procs');
    if (text === undefined) return;
    for (const line of text.split('\n')) if (line.trim()) out.push(Number(line));
    for (const child of subdirs(d)) walk(join(d, child));
  };
  walk(dir);
  return out;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if (errorCode(err) === 'not-found') return [];
    throw wrap(err, `list ${JSON.stringify(dir)}`);
  }
}

/** Sends SIGKILL to each pid, ignoring those already gone. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw wrap(err, `kill ${pid}`);
    }
  }
}

/**
 * Polls `done` every few milliseconds (1, 2, 4 ... 50) until it holds or `timeoutMs` passes;
 * resolves with whether it held. The event loop runs meanwhile.
 */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

/**
 * Removes a cgroup directory and any below it, deepest first (siblings side by side, off the
 * event loop). A cgroup directory is removed with rmdir (its files are kernel files); EBUSY
 * right after the last process exits is retried. The usual cgroup has no children: one rmdir.
 */
export async function removeCgroupDir(dir: string): Promise<void> {
  try {
    await rmdir(dir);
    return;
  } catch (err) {
    if (errorCode(err) === 'not-found') return;
    // not empty (child cgroups) or busy: the children first, then retry
  }
  let children: string[];
  try {
    children = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if (errorCode(err) === 'not-found') return;
    throw wrap(err, `list ${JSON.stringify(dir)}`);
  }
  await Promise.all(children.map((child) => removeCgroupDir(join(dir, child))));
  let lastErr: unknown;
  const ok = await waitUntil(async () => {
    try {
      await rmdir(dir);
      return true;
    } catch (err) {
      if (errorCode(err) === 'not-found') return true;
      lastErr = err;
      if (errorCode(err) === 'conflict') return false;
      throw wrap(err, `remove cgroup ${JSON.stringify(dir)}`);
    }
  }, 5000);
  if (!ok) throw wrap(lastErr ?? berthError('conflict', 'busy'), `remove cgroup ${JSON.stringify(dir)}`);
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `{ [key]: value }` when value is defined, `{}` otherwise (for exactOptionalPropertyTypes). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
