import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../lib/index.ts';
import { failedPrecondition } from '../lib/index.ts';

/**
 * The berth_sys N-API addon (native/addon/): the system calls Node.js does not expose. Every
 * function is synchronous and throws an Error carrying `code` (errno name such as "ENOENT"),
 * `errno` and `syscall`, like Node's own fs errors, so errorCode() from lib maps it.
 */
export interface NativeSys {
  /** mknod(2): kind 'c' (char device), 'b' (block device) or 'p' (fifo); mode is the permission bits. */
  mknod(path: string, kind: 'c' | 'b' | 'p', mode: number, major: number, minor: number): void;
  /** lsetxattr(2); flags XATTR_CREATE (1) / XATTR_REPLACE (2) or 0. */
  lsetxattr(path: string, name: string, value: Buffer, flags?: number): void;
  /** lgetxattr(2); throws code ENODATA when the attribute is absent. */
  lgetxattr(path: string, name: string): Buffer;
  /** llistxattr(2). */
  llistxattr(path: string): string[];
  /** mount(2). `flags` are MS_* bits. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void;
  /** mount(2) done from working directory `cwd` (by a forked child), so `data` may hold relative paths. */
  mountAt(cwd: string, source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void;
  /** umount2(2); flags MNT_FORCE (1), MNT_DETACH (2), UMOUNT_NOFOLLOW (8). */
  umount2(target: string, flags?: number): void;
  /** umount2 until nothing is mounted at `target`, on a worker thread; resolves with the count. */
  umountAllAsync(target: string, flags?: number): Promise<number>;
  /**
   * `rm -rf path` on a worker thread in one call; never follows a symlink nor enters another
   * mount (what is mounted inside is left, and the promise rejects with EBUSY).
   */
  removeTreeAsync(path: string): Promise<void>;
  /** A sealed, close-on-exec memfd holding a copy of the file at `path` (for execution). */
  sealedCopy(path: string): number;
  /**
   * posix_spawn of /proc/self/fd/<execFd> (argv[0] = `argv0`), empty environment, stdio from
   * `stdio` (-1: /dev/null), a new stream socket on the child's fd 3 and `extra` at fds 4, 5...;
   * returns the pid and the parent's end of the socket. Signals reset to their defaults and
   * unblocked. Reap the child with reap().
   */
  spawnWithSync(execFd: number, argv0: string, args: string[], stdio: number[], extra?: number[]): { pid: number; sync: number };
  /** waitpid(pid, WNOHANG): the wait status, or -1 while the child runs. */
  reap(pid: number): number;
  /** bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[]); returns its fd (close it with fs.closeSync). */
  bpfLoadDeviceProgram(insns: Buffer, license: string): number;
  /** bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) to the cgroup v2 directory; flags BPF_F_ALLOW_MULTI (2), BPF_F_REPLACE (4). */
  bpfAttachDevice(cgroupDir: string, progFd: number, flags: number, replaceFd?: number): void;
  /** bpf(BPF_PROG_QUERY): ids of the device programs attached to the directory itself. */
  bpfQueryDevice(cgroupDir: string): number[];
  /** bpf(BPF_PROG_DETACH) of the device program with this id from the directory. */
  bpfDetachDevice(cgroupDir: string, progId: number): void;
  /** A new network namespace bound on `path` (created if absent); the calling thread's own is restored. */
  netnsCreate(path: string): void;
  /** A veth pair `name` (host, up, on `bridge`) ↔ `peer` created inside the namespace at `netnsPath`; mtu 0: default. */
  vethCreate(name: string, peer: string, netnsPath: string, bridge: string | null, peerMac: string | null, mtu: number): void;
  /** In the namespace at `netnsPath`: address/prefix on `ifName`, lo and `ifName` up, default route via `gateway`. */
  netnsConfigure(netnsPath: string, ifName: string, address: string, prefixLength: number, gateway: string | null): void;
  /** RTM_DELLINK of `name` (in `netnsPath`'s namespace when given) on a worker thread. */
  linkDelete(name: string, netnsPath: string | null): Promise<void>;
  /** linkDelete on the calling thread. */
  linkDeleteSync(name: string, netnsPath: string | null): void;
  /** The bridge `name` created when missing (mtu 0: default), up, with `address/prefixLength`; idempotent. */
  bridgeEnsure(name: string, address: string, prefixLength: number, mtu: number): void;
}

let loaded: NativeSys | undefined;

/** Path of the built addon. */
export function nativeAddonPath(): string {
  return join(projectRoot(), 'native', 'addon', 'build', 'berth_sys.node');
}

/** Loads the addon once; a clear failed-precondition error if it has not been built. */
export function nativeSys(): NativeSys {
  if (loaded) return loaded;
  const path = nativeAddonPath();
  if (!existsSync(path)) {
    throw failedPrecondition(`load native addon ${JSON.stringify(path)}: not built (run npm run build)`);
  }
  const require = createRequire(import.meta.url);
  loaded = require(path) as NativeSys;
  return loaded;
}

/** errno name of a thrown value ("ENOENT"...), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
