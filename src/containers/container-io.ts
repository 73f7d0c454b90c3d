import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, readlink, rm, symlink, link, utimes } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { Readable, type Duplex, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as tar from 'tar-stream';
import { conflict, invalidArgument, messageOf, notFound, wrap, type Logger } from '../lib/index.ts';
import { changes as snapshotChanges, packTree, type Change } from '../snapshots/index.ts';
import { relay } from './attach.ts';
import { readLogs, type LogEntry } from './log-reader.ts';
import type { ContainerService } from './service.ts';
import { checkCanAttach, isRunning } from './state.ts';
import type { Container } from './types.ts';
import { mountOf, resolveInView, viewOf, type FsView } from './fs-view.ts';

const execFileP = promisify(execFile);

export interface LogsOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  since: number;
  until: number;
  tail: number;
  signal: AbortSignal;
}

/** `docker logs`: the monitor's json-file log; following ends when the container stops. */
export function containerLogs(svc: ContainerService, ref: string, o: LogsOptions): { tty: boolean; lines: AsyncIterable<LogEntry> } {
  const c = svc.get(ref);
  if (c.hostConfig.logConfig.type !== 'json-file' && c.hostConfig.logConfig.type !== '' && c.hostConfig.logConfig.type !== 'local') {
    throw invalidArgument(`configured logging driver does not support reading`);
  }
  const running = isRunning(c.state) || c.state.status === 'restarting';
  const stopped = o.follow && running ? svc.wait(c.id, 'not-running', o.signal).catch(() => undefined) : Promise.resolve();
  return {
    tty: c.config.tty,
    lines: readLogs(c.logPath, {
      stdout: o.stdout,
      stderr: o.stderr,
      since: o.since,
      until: o.until,
      tail: o.tail,
      follow: o.follow && running,
      stopped,
      signal: o.signal,
    }),
  };
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  logs: boolean;
  stream: boolean;
  detachKeys?: string;
}

export function prepareAttach(svc: ContainerService, ref: string): { tty: boolean } {
  const c = svc.get(ref);
  checkCanAttach(c.state);
  return { tty: c.config.tty };
}

function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/**
 * Attach over a hijacked connection: the log replayed first when asked, then the live stdio of
 * the task. A container that is not running yet is attached to as soon as its next task exists
 * (before it starts, so no output is missed): this is how `docker run` attaches.
 */
export async function attachContainer(svc: ContainerService, ref: string, o: AttachOptions, conn: Duplex, log: Logger): Promise<void> {
  const c = svc.get(ref);
  const tty = c.config.tty;
  if (o.logs) {
    for await (const e of readLogs(c.logPath, { stdout: o.stdout, stderr: o.stderr })) {
      if (conn.destroyed) return;
      conn.write(tty ? e.line : frame(e.stream === 'stderr' ? 2 : 1, e.line));
    }
  }
  if (!o.stream) {
    conn.end();
    return;
  }
  const relayOptions = {
    tty,
    stdin: o.stdin,
    stdout: o.stdout,
    stderr: o.stderr,
    ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
    closeStdinOnEnd: c.config.stdinOnce,
  };
  const serve = async () => {
    const streams = await svc.tasks.attach(c.id, { stdin: o.stdin && c.config.openStdin, stdinOnce: c.config.openStdin && c.config.stdinOnce });
    const exited = svc.wait(c.id, 'next-exit').catch(() => undefined);
    const how = await relay(conn, streams, { ...relayOptions, exited });
    if (how === 'detached') svc.emit(c, 'detach');
  };
  svc.emit(c, 'attach');
  if (isRunning(c.state)) {
    try {
      await serve();
    } catch (err) {
      log.warn('attach failed', { id: c.id, error: messageOf(err) });
      conn.end();
    }
    return;
  }
  // Not running: attach when the next task exists, unless the client leaves first.
  await new Promise<void>((resolve) => {
    let relaying: Promise<void> | undefined;
    const cancel = svc.beforeNextStart(c.id, async () => {
      const streams = await svc.tasks.attach(c.id, { stdin: o.stdin && c.config.openStdin, stdinOnce: c.config.openStdin && c.config.stdinOnce });
      const exited = svc.wait(c.id, 'next-exit').catch(() => undefined);
      relaying = relay(conn, streams, { ...relayOptions, exited }).then(() => resolve());
    });
    conn.once('close', () => {
      cancel();
      if (!relaying) resolve();
    });
    svc.wait(c.id, 'removed').then(
      () => {
        cancel();
        if (!relaying) {
          conn.end();
          resolve();
        }
      },
      () => undefined,
    );
  });
}

/** `docker top`: the host's `ps` output narrowed to the container's processes. */
export async function top(svc: ContainerService, ref: string, psArgs = '-ef'): Promise<{ titles: string[]; processes: string[][] }> {
  const c = svc.get(ref);
  if (!isRunning(c.state)) throw conflict(`container ${c.id} is not running`);
  const pids = new Set(await svc.tasks.ps(c.id));
  const args = psArgs.split(/\s+/).filter(Boolean);
  let stdout: string;
  try {
    ({ stdout } = await execFileP('ps', args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    throw invalidArgument(`ps: ${messageOf(err)}`);
  }
  const lines = stdout.split('\n').filter((l) => l.trim());
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  const pidCol = header.indexOf('PID');
  if (pidCol < 0) throw invalidArgument(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!pids.has(Number(fields[pidCol]))) continue;
    // The last column (the command) keeps its spaces.
    const head = fields.slice(0, header.length - 1);
    head.push(fields.slice(header.length - 1).join(' '));
    processes.push(head);
  }
  return { titles: header, processes };
}

/** `docker diff`: the container layer's changes over its image. */
export async function containerChanges(svc: ContainerService, ref: string): Promise<Change[]> {
  const c = svc.get(ref);
  const mounts = await svc.snapshotter.mounts(c.snapshotKey);
  const upper = await svc.snapshotter.layerDir(c.snapshotKey);
  const lowerOnly = mounts
    .filter((m) => m.type === 'overlay')
    .map((m) => ({ ...m, options: m.options.filter((o) => o.startsWith('lowerdir=')) }))
    .filter((m) => m.options.length > 0);
  // The files and mount points the engine itself puts in the rw layer are not the user's changes
  // (docker keeps them in a separate init layer).
  const own = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/sbin/docker-init', '/dev', '/proc', '/sys', '/dev/shm', '/dev/pts', '/dev/mqueue', '/dev/console']);
  for (const m of c.mountPoints) own.add(m.destination);
  const all = snapshotChanges(lowerOnly, upper);
  const kept = all.filter((ch) => !(own.has(ch.path) && ch.kind !== 'D'));
  // A directory reported changed only because of the engine's own entries is dropped too.
  return kept.filter(
    (ch) => ch.kind !== 'C' || !all.some((x) => x.path.startsWith(ch.path + '/')) || kept.some((x) => x.path.startsWith(ch.path + '/')),
  );
}

/**
 * `docker export`: a tar of the container's whole filesystem. `out` may be a function that opens
 * the output on the first byte: a failure before it (the rootfs cannot be mounted or read) is
 * then thrown before any answer was sent, so the client gets an ordinary error. A failure later
 * destroys the output (the client sees a broken stream, never a short archive that looks whole).
 * The packer is a tar-stream (streamx) stream, which node's pipe/pipeline cannot drive (they
 * call `unpipe`, which it lacks): it is only ever iterated.
 */
export async function exportContainer(svc: ContainerService, ref: string, out: Writable | (() => Writable), signal: AbortSignal): Promise<void> {
  const c = svc.get(ref);
  let sink: Writable | undefined = typeof out === 'function' ? undefined : out;
  const open = (): Writable => (sink ??= (out as () => Writable)());
  await svc.withRootfs(c, async (rootfs) => {
    // The client may go away mid-stream: then stop packing and drain what is left, never
    // destroying the packer (its entry streams would error with no listener).
    const ac = new AbortController();
    const stop = () => ac.abort();
    signal.addEventListener('abort', stop, { once: true });
    let failure: unknown;
    try {
      const src = packTree(rootfs, { signal: ac.signal, xattrs: false });
      src.on('error', (err: unknown) => {
        failure ??= err;
      });
      for await (const chunk of src as AsyncIterable<Buffer>) {
        const w = open();
        if (w.destroyed || w.writableEnded) {
          stop();
          continue;
        }
        if (!w.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              w.off('drain', done);
              w.off('close', done);
              resolve();
            };
            w.once('drain', done);
            w.once('close', done);
          });
        }
      }
    } catch (err) {
      failure ??= err;
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (failure !== undefined && !ac.signal.aborted) {
      sink?.destroy();
      throw wrap(failure, `export ${JSON.stringify(c.name)}`);
    }
    const w = open();
    if (!w.writableEnded && !w.destroyed) w.end();
  });
  svc.emit(c, 'export');
}

// ---------------------------------------------------------------- archive (docker cp)

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode bits, which docker's path stat carries. */
export function goFileMode(st: Stats): number {
  let mode = st.mode & 0o777;
  if (st.mode & 0o4000) mode += 2 ** 23;
  if (st.mode & 0o2000) mode += 2 ** 22;
  if (st.mode & 0o1000) mode += 2 ** 20;
  if (st.isDirectory()) mode += 2 ** 31;
  else if (st.isSymbolicLink()) mode += 2 ** 27;
  else if (st.isFIFO()) mode += 2 ** 25;
  else if (st.isSocket()) mode += 2 ** 24;
  else if (st.isCharacterDevice()) mode += 2 ** 26 + 2 ** 21;
  else if (st.isBlockDevice()) mode += 2 ** 26;
  return mode;
}

export { resolveInRoot } from './fs-view.ts';

/** The task's host pid while it runs (its tmpfs mounts are reachable through /proc/<pid>/root). */
const runningPid = (c: Container) => (isRunning(c.state) && c.state.pid > 0 ? c.state.pid : undefined);

async function statIn(view: FsView, path: string): Promise<{ host: string; resolved: string; stat: PathStat; st: Stats }> {
  const { host, path: resolved } = await resolveInView(view, path);
  const st = await lstat(host).catch(() => undefined);
  if (!st) throw notFound(`Could not find the file ${path} in container`);
  const linkTarget = st.isSymbolicLink() ? await readlink(host) : '';
  const name = path === '/' ? '/' : basename(posix.normalize(path).replace(/\/+$/, '')) || '/';
  return { host, resolved, st, stat: { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget } };
}

export async function statPath(svc: ContainerService, ref: string, path: string): Promise<PathStat> {
  const c = svc.get(ref);
  return svc.withRootfs(c, async (rootfs) => (await statIn(viewOf(c, rootfs, runningPid(c)), path)).stat);
}

/** The host path of `child` of the container directory `dir` (found at `host`): a mount's source when one is there. */
function childHost(view: FsView, dir: string, host: string, child: string): { path: string; host: string } {
  const path = posix.join(dir, child);
  const m = view.mounts.find((x) => x.destination === path);
  return { path, host: m ? m.source : join(host, child) };
}

/**
 * Packs `host` (container path `path`) into `pack` under the name `name`, recursively for
 * directories, crossing into the volumes and binds mounted below it.
 */
async function addTree(pack: tar.Pack, view: FsView, at: { path: string; host: string }, name: string): Promise<void> {
  const { host } = at;
  const st = await lstat(host);
  const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  if (st.isDirectory()) {
    pack.entry({ ...base, type: 'directory', name: name.endsWith('/') ? name : name + '/' });
    for (const child of await childrenOf(view, at)) await addTree(pack, view, childHost(view, at.path, host, child), `${name.replace(/\/$/, '')}/${child}`);
  } else if (st.isSymbolicLink()) {
    pack.entry({ ...base, type: 'symlink', linkname: await readlink(host) });
  } else if (st.isFile()) {
    const entry = pack.entry({ ...base, type: 'file', size: st.size });
    await pipeline(createReadStream(host), entry);
  } else if (st.isFIFO()) {
    pack.entry({ ...base, type: 'fifo' });
  }
}

/** The entries of a directory in the view: its own and the mount points right below it. */
async function childrenOf(view: FsView, at: { path: string; host: string }): Promise<string[]> {
  const names = new Set(await readdir(at.host));
  for (const m of view.mounts) if (m.destination !== at.path && posix.dirname(m.destination) === at.path) names.add(posix.basename(m.destination));
  return [...names].sort();
}

export async function getArchive(
  svc: ContainerService,
  ref: string,
  path: string,
): Promise<{ stat: PathStat; write: (out: Writable) => Promise<void> }> {
  const c = svc.get(ref);
  const stat = await svc.withRootfs(c, async (rootfs) => (await statIn(viewOf(c, rootfs, runningPid(c)), path)).stat);
  return {
    stat,
    write: (out) =>
      svc.withRootfs(c, async (rootfs) => {
        const view = viewOf(c, rootfs, runningPid(c));
        const { host, resolved } = await statIn(view, path);
        const pack = tar.pack();
        // Readable.from iterates the streamx pack: node's pipeline would call its missing unpipe.
        const done = pipeline(Readable.from(pack as AsyncIterable<Buffer>), out);
        done.catch(() => undefined);
        // A client gone mid-copy: stop packing (the entry being written fails, the mount is let go).
        let finalized = false;
        out.once('close', () => {
          if (!finalized) pack.destroy();
        });
        // "dir/." copies the directory's contents: entries are named relative to it.
        const contentsOnly = /\/\.$/.test(path);
        if (contentsOnly) {
          for (const child of await childrenOf(view, { path: resolved, host })) await addTree(pack, view, childHost(view, resolved, host, child), child);
        } else {
          await addTree(pack, view, { path: resolved, host }, stat.name === '/' ? '.' : stat.name);
        }
        finalized = true;
        pack.finalize();
        await done;
        svc.emit(c, 'archive-path', { path });
      }),
  };
}

/** Extracts a tar into directory `path` of the container (docker cp into a container). */
export async function putArchive(
  svc: ContainerService,
  ref: string,
  path: string,
  input: Readable,
  options: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
): Promise<void> {
  const c = svc.get(ref);
  await svc.withRootfs(c, async (rootfs) => {
    const view = viewOf(c, rootfs, runningPid(c));
    const { host: dest, path: destPath } = await resolveInView(view, path);
    // Writable: a rw volume or bind, or the rootfs unless it is read-only (docker's checks).
    const writable = async (inContainer: string) => {
      const m = mountOf(view, inContainer);
      if (m && !m.rw) throw invalidArgument('mounted volume is marked read-only');
      if (!m && c.hostConfig.readonlyRootfs) throw invalidArgument('container rootfs is marked read-only');
    };
    await writable(destPath);
    const st = await lstat(dest).catch(() => undefined);
    if (!st) throw notFound(`Could not find the file ${path} in container ${c.name}`);
    if (!st.isDirectory()) throw invalidArgument('extraction point is not a directory');
    const extract = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, stream, next) => {
        void (async () => {
          const name = posix.normalize(header.name).replace(/^(\.\.(\/|$))+/, '').replace(/^\/+/, '');
          if (name === '' || name === '.' || name.split('/').includes('..')) {
            stream.resume();
            return;
          }
          // Each entry resolved in the container's view: a symlink met on the way never leads out of it.
          const resolved = await resolveInView(view, posix.join(destPath, name));
          await writable(resolved.path);
          const target = resolved.host;
          await mkdir(dirname(target), { recursive: true });
          const existing = await lstat(target).catch(() => undefined);
          const mode = (header.mode ?? 0o644) & 0o7777;
          if (header.type === 'directory') {
            if (existing && !existing.isDirectory()) {
              if (options.noOverwriteDirNonDir) throw invalidArgument(`cannot overwrite non-directory "${name}" with directory`);
              await rm(target, { force: true });
            }
            await mkdir(target, { recursive: true });
            await chmod(target, mode);
            stream.resume();
          } else {
            if (existing?.isDirectory()) {
              if (options.noOverwriteDirNonDir) throw invalidArgument(`cannot overwrite directory "${name}" with non-directory`);
              await rm(target, { recursive: true, force: true });
            } else if (existing) await rm(target, { force: true });
            if (header.type === 'symlink') {
              await symlink(header.linkname ?? '', target);
              stream.resume();
            } else if (header.type === 'link') {
              const from = (await resolveInView(view, posix.join(destPath, posix.normalize(header.linkname ?? '').replace(/^\/+/, '')))).host;
              await link(from, target);
              stream.resume();
            } else if (header.type === 'file' || header.type === 'contiguous-file') {
              await pipeline(stream, createWriteStream(target, { mode }));
              await chmod(target, mode);
            } else {
              stream.resume();
              return;
            }
          }
          await lchown(target, header.uid ?? 0, header.gid ?? 0).catch(() => undefined);
          if (header.type !== 'symlink' && header.mtime) await utimes(target, header.mtime, header.mtime).catch(() => undefined);
        })().then(
          () => next(),
          (err: unknown) => {
            stream.resume();
            extract.destroy(err as Error);
          },
        );
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    input.pipe(extract);
    await done;
  });
  svc.emit(c, 'extract-to-dir', { path });
}
