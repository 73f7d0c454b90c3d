/**
 * On-disk layout under the runtime root (runc's --root):
 *
 *   <root>/<id>/state.json     StoredState, written atomically
 *   <root>/<id>/config.json    the spec the container was created from (exec and poststop use it)
 *   <root>/<id>/plan           the launch plan given to berth-shim
 *   <root>/<id>/ctl.sock       the monitor's control socket     (removed by the monitor on exit)
 *   <root>/<id>/attach.sock    the monitor's attach socket      (stdio mode "log" only)
 *   <root>/<id>/exit           the exit status JSON, written by the monitor
 *   <root>/<id>/hook-state.json  the state JSON given to createContainer/startContainer hooks
 *   <root>/<id>/exec/<execId>/{plan,ctl.sock,attach.sock,exit}   the same for each exec
 *   <root>/.removed-<id>-<random>/   a deleted container's directory while it is being deleted
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument, notFound, randomHex } from '../lib/index.ts';
import { discardDir, sweepDiscarded } from '../sys/index.ts';
import type { Spec } from './spec/index.ts';
import type { CgroupMode } from './cgroups/index.ts';

export interface StoredState {
  ociVersion: string;
  id: string;
  pid: number;
  /** /proc/<pid>/stat start time, to tell our process from a reused pid. */
  pidStartTime: number;
  /** The monitor's pid. */
  monitorPid?: number;
  bundle: string;
  annotations: Record<string, string>;
  created: string;
  started: boolean;
  cgroupsPath: string;
  /** The cgroup manager the container was created with (absent: detected). */
  cgroupMode?: CgroupMode;
}

const idRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkId(verb: string, id: string): void {
  if (!idRe.test(id)) throw invalidArgument(`${verb} ${JSON.stringify(id)}: invalid container id (letters, digits, "_", ".", "-")`);
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  execDir(id: string, execId: string): string {
    return join(this.root, id, 'exec', execId);
  }

  exists(id: string): boolean {
    return existsSync(join(this.dir(id), 'state.json'));
  }

  /** Creates the container's directory; fails if it exists. */
  reserve(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    mkdirSync(dir, { mode: 0o711 });
    return dir;
  }

  read(verb: string, id: string): StoredState {
    checkId(verb, id);
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as StoredState;
    } catch {
      throw notFound(`${verb} ${JSON.stringify(id)}: container does not exist`);
    }
  }

  /**
   * Atomic for every reader (temp file + rename) but not fsynced: runtime state lives on /run,
   * which does not survive a reboot anyway, and an fsync per container start costs more than
   * the whole start on a busy disk (runc does the same).
   */
  write(state: StoredState): void {
    const path = join(this.dir(state.id), 'state.json');
    const tmp = `${path}.${randomHex(4)}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, path);
  }

  readSpec(id: string): Spec {
    return JSON.parse(readFileSync(join(this.dir(id), 'config.json'), 'utf8')) as Spec;
  }

  /** Written once, before anything else looks in the directory. */
  writeSpec(id: string, spec: Spec): void {
    writeFileSync(join(this.dir(id), 'config.json'), JSON.stringify(spec));
  }

  /** Removes the container's directory: out of the way at once, its files deleted in the background. */
  remove(id: string): void {
    discardDir(this.dir(id));
  }

  /** Deletes what remove() left behind when the process stopped before its files were gone. */
  sweep(): void {
    sweepDiscarded(this.root);
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((n) => idRe.test(n) && existsSync(join(this.root, n, 'state.json'))).sort();
    } catch {
      return [];
    }
  }
}
