import { chmodSync, readdirSync, rmdirSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';
import { Runtime, defaultSpec, type Spec, type ExitStatus } from '../../src/runtime/index.ts';

/** Fails (never skips) when the tests cannot run for real. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('runtime tests need root: namespaces, cgroups and mounts are real');
}

/** A scratch area with one busybox rootfs, a runtime root and bundles; remove() cleans it all. */
export class Scratch {
  readonly dir: string;
  readonly rootfs: string;
  readonly root: string;
  readonly runtime: Runtime;

  constructor(prefix: string) {
    requireRoot();
    this.dir = mkdtempSync(join(tmpdir(), `berth-rt-${prefix}-`));
    chmodSync(this.dir, 0o755); // user-namespaced containers must reach their rootfs
    this.rootfs = makeBusyboxRootfs(join(this.dir, 'rootfs'));
    this.root = join(this.dir, 'state');
    this.runtime = new Runtime({ root: this.root });
  }

  /** A unique container id. */
  id(name: string): string {
    return `${name}-${randomBytes(3).toString('hex')}`;
  }

  /** A test spec: runc's default with a tmpfs /tmp, no terminal, the given args; `edit` adjusts it. */
  bundle(args: string[], edit?: (spec: Spec) => void): string {
    const b = join(this.dir, `bundle-${randomBytes(4).toString('hex')}`);
    mkdirSync(b);
    const spec = defaultSpec({ terminal: false, args, rootPath: this.rootfs, hostname: 'berth-test' });
    spec.mounts?.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    spec.linux!.cgroupsPath = `/berth-test/${randomBytes(6).toString('hex')}`;
    edit?.(spec);
    writeFileSync(join(b, 'config.json'), JSON.stringify(spec));
    return b;
  }

  /** Runs a container to its exit with stdout+stderr captured; deletes it. */
  async run(args: string[], edit?: (spec: Spec) => void): Promise<{ out: string; exit: ExitStatus; id: string }> {
    const bundle = this.bundle(args, edit);
    const id = this.id('run');
    const outPath = join(this.dir, `${id}.out`);
    const fd = openSync(outPath, 'w');
    const nul = openSync('/dev/null', 'r');
    try {
      const r = await this.runtime.run(id, { bundle, stdio: { mode: 'inherit', fds: [nul, fd, fd] } });
      await this.runtime.delete(id);
      return { out: readFileSync(outPath, 'utf8'), exit: r.exit!, id };
    } finally {
      closeSync(fd);
      closeSync(nul);
    }
  }

  async remove(): Promise<void> {
    for (const c of await this.runtime.list().catch(() => [])) await this.runtime.delete(c.id, { force: true }).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
    // the shared parent of every test cgroup: gone unless another test file still uses it
    for (const h of readdirSync('/sys/fs/cgroup')) {
      try {
        rmdirSync(join('/sys/fs/cgroup', h, 'berth-test'));
      } catch {
        // busy or absent
      }
    }
  }
}
