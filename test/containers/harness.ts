import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, nullLogger, type Logger } from '../../src/lib/index.ts';
import { openMetadataDb, migrate, type MetadataDb } from '../../src/metadata/index.ts';
import { Runtime, capabilitiesFromMask, readCapabilitySet, dockerDefaultSeccomp, type LinuxSeccomp } from '../../src/runtime/index.ts';
import { OverlaySnapshotter } from '../../src/snapshots/index.ts';
import { ContainerService, ExecManager, RuntimeTasks, defaultContainerConfig, defaultHostConfig, readLogs } from '../../src/containers/index.ts';
import type { ContainerConfig, ContainerEvent, HostConfig, ImageProvider, VolumeProvider } from '../../src/containers/index.ts';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';
import { binPath } from '../../src/lib/index.ts';
import { existsSync, mkdirSync } from 'node:fs';

export interface Harness {
  svc: ContainerService;
  execs: ExecManager;
  runtime: Runtime;
  events: ContainerEvent[];
  root: string;
  db: MetadataDb;
  config(c: Partial<ContainerConfig>): ContainerConfig;
  hostConfig(h: Partial<HostConfig>): HostConfig;
  /** Opens a second service on the same roots (a daemon restart). */
  reopen(): Harness;
  close(): Promise<void>;
}

/**
 * A container service on its own roots with a one-layer busybox image ("busybox") committed
 * straight into the snapshotter, the real runtime and berth-shim, and local volumes in a dir.
 */
export function makeHarness(prefix = 'bc-'): Harness {
  if (process.getuid?.() !== 0) throw new Error('container tests need root (namespaces, mounts, cgroups)');
  if (!existsSync(binPath('berth-shim'))) throw new Error('bin/berth-shim is missing: run `npm run build` first');
  const root = mkdtempSync(join(tmpdir(), prefix));
  const log: Logger = process.env.BERTH_TEST_LOG ? createLogger({ level: 'debug', format: 'text' }) : nullLogger;
  const open = (): Harness => {
    const db = openMetadataDb(join(root, 'data', 'metadata.db'));
    const snapshotter = new OverlaySnapshotter({ root: join(root, 'data'), db, migrate });
    const runtime = new Runtime({ root: join(root, 'rt'), logger: log });
    const cgroupParent = `/berth-test-${process.pid}`;
    const tasks = new RuntimeTasks(runtime, { execLogDir: join(root, 'run', 'exec-logs'), log, cgroupParent });
    let layer: Promise<void> | undefined;
    const ensureLayer = async () => {
      try {
        await snapshotter.stat('busybox-layer');
      } catch {
        const key = `extract-busybox-${process.pid}`;
        await snapshotter.prepare(key);
        makeBusyboxRootfs(await snapshotter.layerDir(key));
        await snapshotter.commit('busybox-layer', key);
      }
    };
    const images: ImageProvider = {
      async resolve(ref) {
        if (ref !== 'busybox' && ref !== 'busybox:latest') throw Object.assign(new Error(`No such image: ${ref}`), { code: 'ENOENT' });
        await (layer ??= ensureLayer());
        return {
          id: 'sha256:' + 'b'.repeat(64),
          config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
          snapshotParent: 'busybox-layer',
        };
      },
    };
    const volumes: VolumeProvider = {
      async acquire(name) {
        const n = name ?? Math.random().toString(16).slice(2);
        const mountpoint = join(root, 'data', 'volumes', n, '_data');
        mkdirSync(mountpoint, { recursive: true });
        return { name: n, driver: 'local', mountpoint };
      },
      async remove(name) {
        rmSync(join(root, 'data', 'volumes', name), { recursive: true, force: true });
      },
    };
    const events: ContainerEvent[] = [];
    const svc = new ContainerService({
      db,
      dataRoot: join(root, 'data'),
      execRoot: join(root, 'run'),
      snapshotter,
      images,
      volumes,
      tasks,
      events: { publish: (e) => events.push(e) },
      log,
      hostCapabilities: capabilitiesFromMask(readCapabilitySet('CapBnd')),
      initBinary: binPath('berth-init'),
      seccomp: (profile, caps): LinuxSeccomp | undefined => (profile ? (JSON.parse(profile) as LinuxSeccomp) : dockerDefaultSeccomp(caps)),
      cgroupParent,
    });
    const execs = new ExecManager(svc, { publish: (e) => events.push(e) }, log);
    const h: Harness = {
      svc,
      execs,
      runtime,
      events,
      root,
      db,
      config: (c) => ({ ...defaultContainerConfig(), image: 'busybox', ...c }),
      hostConfig: (x) => ({ ...defaultHostConfig(), ...x }),
      reopen: () => {
        svc.close();
        db.close();
        return open();
      },
      close: async () => {
        for (const c of svc.list()) await svc.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
        svc.close();
        db.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
    return h;
  };
  return open();
}

/** Creates, starts and waits for a container, then removes it: its exit code and its log text. */
export async function runOut(h: Harness, config: Partial<ContainerConfig>, hostConfig: Partial<HostConfig> = {}): Promise<{ code: number; out: string }> {
  const { id } = await h.svc.create({ config: h.config(config), hostConfig: h.hostConfig(hostConfig) });
  const done = h.svc.wait(id, 'next-exit');
  await h.svc.start(id);
  const { exitCode } = await done;
  let out = '';
  for await (const e of readLogs(h.svc.get(id).logPath)) out += e.line.toString();
  await h.svc.remove(id);
  return { code: exitCode, out };
}

export function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

export { cpSync };
