import { mkdir, rm, writeFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, randomHex, type Logger } from '../lib/index.ts';
import {
  defaultSpec,
  dockerDefaultCapabilities,
  dockerDefaultMounts,
  dockerDefaultSeccomp,
  dockerMaskedPaths,
  dockerReadonlyPaths,
  type Mount as OciMount,
  type Runtime,
  type Spec,
} from '../runtime/index.ts';
import { readLogs, resolveUser } from '../containers/index.ts';

/** One RUN in a build container: its argv, environment and mounts, on a mounted rootfs. */
export interface RunStepOptions {
  /** The build container's bundle dir; `rootfs` inside it is already mounted. */
  bundle: string;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  /** host: the host's network; none: loopback only. */
  network: 'host' | 'none';
  /** Extra mounts (RUN --mount). */
  mounts: OciMount[];
  /** Called with each chunk of the command's stdout/stderr, live. */
  onOutput: (chunk: Buffer) => void;
  logger: Logger;
  signal?: AbortSignal;
}

/** Runs the step's process to completion; returns its exit code. */
export async function runStep(runtime: Runtime, options: RunStepOptions): Promise<number> {
  const id = `build-${randomHex(12)}`;
  const rootfs = join(options.bundle, 'rootfs');
  const user = await resolveUser(rootfs, options.user || 'root');
  const caps = [...dockerDefaultCapabilities];
  const spec: Spec = defaultSpec({ args: options.args, terminal: false, hostname: id.slice(6, 18) });
  spec.root = { path: 'rootfs', readonly: false };
  spec.process!.env = options.env;
  spec.process!.cwd = options.cwd || '/';
  spec.process!.user = { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids };
  spec.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
  spec.process!.noNewPrivileges = false;
  spec.mounts = [...dockerDefaultMounts(), ...options.mounts];
  const namespaces: NonNullable<NonNullable<Spec['linux']>['namespaces']> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (options.network === 'none') namespaces.push({ type: 'network' });
  else {
    for (const f of ['/etc/resolv.conf', '/etc/hosts']) {
      if (await lstat(f).catch(() => undefined)) spec.mounts.push({ destination: f, type: 'bind', source: f, options: ['rbind', 'ro'] });
    }
  }
  spec.linux = {
    ...spec.linux,
    namespaces,
    maskedPaths: [...dockerMaskedPaths],
    readonlyPaths: [...dockerReadonlyPaths],
    seccomp: dockerDefaultSeccomp(caps),
    cgroupsPath: `/berth-build/${id}`,
  };
  await mkdir(options.bundle, { recursive: true });
  await writeFile(join(options.bundle, 'config.json'), JSON.stringify(spec));
  const logPath = join(options.bundle, 'output.log');
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  const follow = (async () => {
    // The log appears once the monitor starts; wait for it briefly before following.
    for (let i = 0; i < 200 && !(await lstat(logPath).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 10));
    for await (const entry of readLogs(logPath, { follow: true, stopped: done, pollMs: 50 })) options.onOutput(entry.line);
  })();
  try {
    const result = await runtime.run(id, {
      bundle: options.bundle,
      stdio: { mode: 'log', logPath },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!result.exit) throw invalidArgument(`run step: no exit status`);
    return result.exit.exitCode;
  } finally {
    finished();
    await follow.catch((err: unknown) => options.logger.warn('build output follow failed', { err }));
    await runtime.delete(id, { force: true }).catch(() => {});
    await rm(logPath, { force: true });
  }
}
