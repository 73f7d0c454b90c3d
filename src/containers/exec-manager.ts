import type { Duplex } from 'node:stream';
import { conflict, invalidArgument, messageOf, notFound, randomHex, type Logger } from '../lib/index.ts';
import { relay } from './attach.ts';
import type { EventSink } from './ports.ts';
import type { ContainerService } from './service.ts';
import { checkCanExec } from './state.ts';
import { resolveUser } from './user.ts';

export interface ExecConfig {
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  tty: boolean;
  privileged: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys: string;
  consoleSize?: [number, number];
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
}

/**
 * Execs in running containers (docker exec): records live in memory while their container
 * exists; start runs the process through the runtime, attached over a hijacked connection or
 * detached; the exit code is kept for inspect.
 */
export class ExecManager {
  readonly #execs = new Map<string, ExecRecord>();
  readonly #pendingResize = new Map<string, [number, number]>();

  constructor(
    private readonly containers: ContainerService,
    private readonly events: EventSink | undefined,
    private readonly log: Logger,
  ) {}

  create(ref: string, config: ExecConfig): string {
    const c = this.containers.get(ref);
    checkCanExec(c.id, c.state);
    if (config.cmd.length === 0 || config.cmd[0] === '') throw invalidArgument('No exec command specified');
    const id = randomHex(32);
    this.#execs.set(id, { id, containerId: c.id, config, running: false, started: false, exitCode: null, pid: 0 });
    c.execIds.push(id);
    this.events?.publish({ action: `exec_create: ${config.cmd.join(' ')}`, id: c.id, attributes: { ...c.config.labels, image: c.imageRef, name: c.name, execID: id } });
    return id;
  }

  get(id: string): ExecRecord {
    const e = this.#execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  /** Checks an exec can start (exists, not started, container running). */
  prepare(id: string): ExecRecord {
    const e = this.get(id);
    if (e.started) throw conflict(`Error: Exec command ${id} has already run`);
    const c = this.containers.get(e.containerId);
    checkCanExec(c.id, c.state);
    return e;
  }

  /**
   * Starts the exec. With a connection it relays stdio until the process exits (then ends the
   * connection); without, it returns once the process runs.
   */
  async start(id: string, conn: Duplex | undefined): Promise<void> {
    const e = this.prepare(id);
    e.started = true;
    const c = this.containers.get(e.containerId);
    const user = e.config.user || c.config.user;
    const resolved = await resolveUser(this.containers.rootfsDir(c.id), user, c.hostConfig.groupAdd);
    const process = this.containers.execProcess(c, {
      args: e.config.cmd,
      env: e.config.env,
      user: resolved,
      workingDir: e.config.workingDir,
      tty: e.config.tty,
      privileged: e.config.privileged,
    });
    if (e.config.consoleSize && e.config.tty) process.consoleSize = { height: e.config.consoleSize[0], width: e.config.consoleSize[1] };
    const attach = conn !== undefined;
    let started;
    try {
      started = await this.containers.tasks.exec(c.id, id, process, { stdin: attach && e.config.attachStdin, attach });
    } catch (err) {
      e.exitCode = 126;
      if (conn) {
        const msg = Buffer.from(`${messageOf(err)}\r\n`);
        if (e.config.tty) conn.end(msg);
        else {
          const h = Buffer.alloc(8);
          h[0] = 3;
          h.writeUInt32BE(msg.length, 4);
          conn.end(Buffer.concat([h, msg]));
        }
        return;
      }
      throw err;
    }
    e.running = true;
    e.pid = started.pid;
    const size = this.#pendingResize.get(id);
    this.#pendingResize.delete(id);
    if (size && e.config.tty) await this.containers.tasks.resizeExec(c.id, id, size[0], size[1]).catch(() => undefined);
    const attrs = { ...c.config.labels, image: c.imageRef, name: c.name, execID: id };
    this.events?.publish({ action: `exec_start: ${e.config.cmd.join(' ')}`, id: c.id, attributes: attrs });
    const exited = started.exit.then(
      (code) => {
        e.exitCode = code;
        e.running = false;
        e.pid = 0;
        this.events?.publish({ action: 'exec_die', id: c.id, attributes: { ...attrs, exitCode: String(code) } });
      },
      (err: unknown) => {
        this.log.warn('exec wait failed', { id, error: messageOf(err) });
        e.exitCode = 255;
        e.running = false;
      },
    );
    if (!conn || !started.streams) return;
    const how = await relay(conn, started.streams, {
      tty: e.config.tty,
      stdin: e.config.attachStdin,
      stdout: e.config.attachStdout,
      stderr: e.config.attachStderr,
      detachKeys: e.config.detachKeys,
      closeStdinOnEnd: true,
      exited,
    });
    if (how === 'exited') await exited;
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    if (!e.running) {
      if (e.started && e.exitCode !== null) throw conflict(`exec ${id} is not running`);
      // Not started yet, or starting: the size is applied as soon as the process has a terminal.
      e.config.consoleSize = [height, width];
      this.#pendingResize.set(id, [height, width]);
      return;
    }
    await this.containers.tasks.resizeExec(e.containerId, id, height, width);
  }

  /** Forgets the execs of a removed container. */
  forget(containerId: string): void {
    for (const [id, e] of this.#execs) if (e.containerId === containerId) this.#execs.delete(id);
  }
}
