import { mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { errorCode, invalidArgument, isNotFound, messageOf, nullLogger, type Logger } from '../lib/index.ts';
import { createCgroupManager, type LinuxResources, type Process, type Runtime, type Spec } from '../runtime/index.ts';
import { readLogs } from './log-reader.ts';
import type { CgroupStats, TaskExit, TaskIO, TaskState, TaskStreams, Tasks } from './ports.ts';

/** The runtime's cgroup statistics (src/runtime/cgroups CgroupStats). */
export interface RuntimeCgroupStats {
  memory?: { usage: number; maxUsage?: number; limit?: number; failcnt?: number; stat: Record<string, number> };
  cpu?: { usageTotal: number; usageUser?: number; usageSystem?: number; perCpu?: number[]; throttling?: { periods: number; throttledPeriods: number; throttledTime: number } };
  pids?: { current: number; limit?: number };
  blkio?: { ioServiceBytes: { major: number; minor: number; op: string; value: number }[] };
}

/** One request line on a monitor's control socket; resolves with the reply line. */
export function controlRequest(path: string, line: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(invalidArgument(`control "${line}": timed out`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(line + '\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.slice(0, nl));
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (!buf.includes('\n')) reject(invalidArgument(`control "${line}": connection closed`));
    });
  });
}

/**
 * Connects to a monitor's attach socket: output arrives as docker stdcopy frames (stream 1|2),
 * bytes written go to the process's stdin (or pty). Ending stdin sends "close-stdin" on the
 * control socket, so output keeps flowing; with `inBandEof` (a monitor planned with stdin-once)
 * it half-closes the attach socket instead, so the EOF can never overtake bytes still in flight.
 */
export function connectAttach(attachPath: string, controlPath: string, withStdin: boolean, options: { inBandEof?: boolean } = {}): Promise<TaskStreams> {
  return new Promise((resolve, reject) => {
    const sock = connect(attachPath);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let pending: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const payload = pending.subarray(8, 8 + size);
        (pending[0] === 2 ? stderr : stdout).write(Buffer.from(payload));
        pending = pending.subarray(8 + size);
      }
    });
    const end = () => {
      stdout.end();
      stderr.end();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.once('connect', () => {
      sock.off('error', reject);
      sock.on('error', () => end());
      const stdin = withStdin
        ? new Writable({
            write(chunk: Buffer, _enc, cb) {
              if (sock.destroyed) return cb();
              sock.write(chunk, () => cb());
            },
            final(cb) {
              if (options.inBandEof) {
                if (!sock.destroyed) sock.end();
                cb();
                return;
              }
              controlRequest(controlPath, 'close-stdin').then(
                () => cb(),
                () => cb(),
              );
            },
          })
        : undefined;
      resolve({
        stdin,
        stdout,
        stderr,
        close: () => {
          sock.destroy();
          end();
        },
      });
    });
    sock.once('error', reject);
  });
}

/**
 * Runtime ids are shortened so that monitor socket paths (<root>/<id>/exec/<exec>/attach.sock)
 * stay within the 108 bytes of a unix socket address: 128 bits of the container id, 48 of an
 * exec id (unique within its container).
 */
export const taskId = (containerId: string) => containerId.slice(0, 32);
export const execTaskId = (execId: string) => execId.slice(0, 12);

/** The Tasks port over the in-process runtime library and its monitors (berth-shim). */
export class RuntimeTasks implements Tasks {
  readonly #log: Logger;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: {
      execLogDir: string;
      log?: Logger;
      /** Reads a container cgroup's statistics (the runtime's cgroup manager). */
      cgroupStats?: (cgroupsPath: string) => RuntimeCgroupStats;
      cgroupParent?: string;
    },
  ) {
    this.#log = options.log ?? nullLogger;
  }

  async create(id: string, bundle: string, spec: Spec, io: TaskIO): Promise<{ pid: number }> {
    const options = {
      bundle,
      spec,
      stdio: { mode: 'log' as const, logPath: io.logPath, logMaxSize: io.logMaxSize, logMaxFiles: io.logMaxFiles, openStdin: io.openStdin, ...(io.stdinOnce ? { stdinOnce: true } : {}) },
    };
    const st = io.autostart ? (await this.runtime.run(taskId(id), { ...options, detach: true })).state : await this.runtime.create(taskId(id), options);
    return { pid: st.pid };
  }

  async start(id: string): Promise<void> {
    await this.runtime.start(taskId(id));
  }

  async state(id: string): Promise<TaskState | undefined> {
    try {
      const st = await this.runtime.state(taskId(id));
      return { status: st.status === 'creating' ? 'created' : st.status, pid: st.pid };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async wait(id: string): Promise<TaskExit> {
    const e = await this.runtime.wait(taskId(id));
    return { exitCode: e.exitCode, exitedAt: e.exitedAt, oomKilled: e.oomKilled };
  }

  async kill(id: string, signal: number, options: { all?: boolean } = {}): Promise<void> {
    await this.runtime.kill(taskId(id), signal, options.all ? { all: true } : {});
  }

  async delete(id: string): Promise<void> {
    try {
      await this.runtime.delete(taskId(id), { force: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async pause(id: string): Promise<void> {
    await this.runtime.pause(taskId(id));
  }

  async resume(id: string): Promise<void> {
    await this.runtime.resume(taskId(id));
  }

  ps(id: string): Promise<number[]> {
    return this.runtime.ps(taskId(id));
  }

  async update(id: string, resources: LinuxResources): Promise<void> {
    await this.runtime.update(taskId(id), resources);
  }

  async stats(id: string): Promise<CgroupStats> {
    // The cgroup the runtime recorded at create (whatever parent the container was made with);
    // the computed path only for a task the runtime no longer knows.
    const path = `${this.options.cgroupParent ?? '/berth'}/${id}`;
    let s: RuntimeCgroupStats;
    if (this.options.cgroupStats) s = this.options.cgroupStats(path);
    else {
      try {
        s = await this.runtime.stats(taskId(id));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        s = createCgroupManager(path).stats();
      }
    }
    const perCpu = s.cpu?.perCpu ?? [];
    return {
      cpuUsageTotal: s.cpu?.usageTotal ?? 0,
      cpuUsageKernel: s.cpu?.usageSystem ?? 0,
      cpuUsageUser: s.cpu?.usageUser ?? 0,
      perCpu,
      systemCpuUsage: await systemCpuUsage(),
      onlineCpus: perCpu.length || (await import('node:os')).cpus().length,
      throttledPeriods: s.cpu?.throttling?.throttledPeriods ?? 0,
      throttledTime: s.cpu?.throttling?.throttledTime ?? 0,
      periods: s.cpu?.throttling?.periods ?? 0,
      memoryUsage: s.memory?.usage ?? 0,
      memoryMaxUsage: s.memory?.maxUsage ?? 0,
      memoryLimit: s.memory?.limit ?? (await import('node:os')).totalmem(),
      memoryStats: s.memory?.stat ?? {},
      memoryFailcnt: s.memory?.failcnt ?? 0,
      pidsCurrent: s.pids?.current ?? 0,
      pidsLimit: s.pids?.limit ?? 0,
      blkioServiceBytes: s.blkio?.ioServiceBytes ?? [],
    };
  }

  attach(id: string, options: { stdin: boolean; stdinOnce?: boolean }): Promise<TaskStreams> {
    const p = this.runtime.paths(taskId(id));
    return connectAttach(p.attach, p.control, options.stdin, { inBandEof: options.stdinOnce === true });
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    await this.runtime.resize(taskId(id), height, width);
  }

  /**
   * Runs an exec. Its output is written by its monitor to a json-file log from the first byte,
   * which is followed here (nothing is lost before a client connects); stdin goes through the
   * exec's attach socket.
   */
  async exec(
    id: string,
    execId: string,
    process: Process,
    options: { stdin: boolean; attach: boolean },
  ): Promise<{ pid: number; streams: TaskStreams | undefined; exit: Promise<number> }> {
    await mkdir(this.options.execLogDir, { recursive: true });
    const logPath = join(this.options.execLogDir, `${id}-${execId}.log`);
    // With stdin, the process waits for start until its stdin is connected to the monitor's attach
    // socket, and EOF travels on that socket behind the bytes (stdin-once): nothing is lost or
    // reordered however early the client's input arrives or ends.
    const started = await this.runtime.exec(taskId(id), {
      process,
      execId: execTaskId(execId),
      stdio: { mode: 'log', logPath, logMaxSize: 0, logMaxFiles: 1, openStdin: options.stdin, ...(options.stdin ? { stdinOnce: true } : {}) },
      ...(options.stdin ? { waitForStart: true } : {}),
    });
    let attachConn: TaskStreams | undefined;
    if (options.stdin) {
      const p = this.runtime.paths(taskId(id), execTaskId(execId));
      try {
        attachConn = await connectAttach(p.attach, p.control, true, { inBandEof: true });
        attachConn.stdout.resume();
        attachConn.stderr?.resume();
        await this.runtime.startExec(taskId(id), execTaskId(execId));
      } catch (err) {
        attachConn?.close();
        await controlRequest(p.control, 'kill 9').catch(() => undefined);
        await started.exit.catch(() => undefined);
        await this.runtime.deleteExec(taskId(id), execTaskId(execId)).catch(() => undefined);
        await rm(logPath, { force: true });
        throw err;
      }
    }
    const exit = started.exit.then((e) => e.exitCode);
    // A finished exec's monitor files go at once (healthchecks run execs all the time).
    void exit.then(
      () => this.runtime.deleteExec(taskId(id), execTaskId(execId)).catch(() => undefined),
      () => undefined,
    );
    if (!options.attach) {
      void exit.catch(() => undefined).finally(() => rm(logPath, { force: true }).catch(() => undefined));
      return { pid: started.pid, streams: undefined, exit };
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const ac = new AbortController();
    void (async () => {
      try {
        for await (const e of readLogs(logPath, { follow: true, stopped: exit.catch(() => undefined), pollMs: 20, signal: ac.signal })) {
          (e.stream === 'stderr' ? stderr : stdout).write(e.line);
        }
      } catch (err) {
        if (errorCode(err) !== 'canceled') this.#log.debug('exec log follow', { id, execId, error: messageOf(err) });
      } finally {
        stdout.end();
        stderr.end();
        await rm(logPath, { force: true });
      }
    })();
    const stdin: Writable | undefined = attachConn?.stdin;
    return {
      pid: started.pid,
      exit,
      streams: {
        stdin,
        stdout,
        stderr: process.terminal ? undefined : stderr,
        close: () => {
          ac.abort();
          attachConn?.close();
        },
      },
    };
  }

  async resizeExec(id: string, execId: string, height: number, width: number): Promise<void> {
    await this.runtime.resize(taskId(id), height, width, { execId: execTaskId(execId) });
  }
}

async function systemCpuUsage(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile('/proc/stat', 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0);
  return (ticks * 1e9) / 100;
}
