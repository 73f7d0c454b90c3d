import { invalidArgument } from '../../lib/index.ts';

/** mount(2) flags (linux/mount.h). */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  POSIXACL: 0x10000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  I_VERSION: 0x800000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

/** mount_setattr(2) attributes, for the recursive "rro", "rnosuid"... options (runc 1.1+). */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  _ATIME: 0x70,
  NODIRATIME: 0x80,
  IDMAP: 0x100000,
  NOSYMFOLLOW: 0x200000,
} as const;

/** option → [clear?, flag]: a flag the option sets, or (clear) removes. */
const flagOptions: Readonly<Record<string, readonly [boolean, number]>> = {
  defaults: [false, 0],
  ro: [false, MS.RDONLY], rw: [true, MS.RDONLY],
  nosuid: [false, MS.NOSUID], suid: [true, MS.NOSUID],
  nodev: [false, MS.NODEV], dev: [true, MS.NODEV],
  noexec: [false, MS.NOEXEC], exec: [true, MS.NOEXEC],
  sync: [false, MS.SYNCHRONOUS], async: [true, MS.SYNCHRONOUS],
  remount: [false, MS.REMOUNT],
  mand: [false, MS.MANDLOCK], nomand: [true, MS.MANDLOCK],
  dirsync: [false, MS.DIRSYNC],
  nosymfollow: [false, MS.NOSYMFOLLOW], symfollow: [true, MS.NOSYMFOLLOW],
  noatime: [false, MS.NOATIME], atime: [true, MS.NOATIME],
  nodiratime: [false, MS.NODIRATIME], diratime: [true, MS.NODIRATIME],
  bind: [false, MS.BIND], rbind: [false, MS.BIND | MS.REC],
  silent: [false, MS.SILENT], loud: [true, MS.SILENT],
  relatime: [false, MS.RELATIME], norelatime: [true, MS.RELATIME],
  iversion: [false, MS.I_VERSION], noiversion: [true, MS.I_VERSION],
  strictatime: [false, MS.STRICTATIME], nostrictatime: [true, MS.STRICTATIME],
  lazytime: [false, MS.LAZYTIME], nolazytime: [true, MS.LAZYTIME],
};

const propagationOptions: Readonly<Record<string, number>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** option → [clear?, attr] for mount_setattr(AT_RECURSIVE). */
const recursiveAttrOptions: Readonly<Record<string, readonly [boolean, number]>> = {
  rro: [false, MOUNT_ATTR.RDONLY], rrw: [true, MOUNT_ATTR.RDONLY],
  rnosuid: [false, MOUNT_ATTR.NOSUID], rsuid: [true, MOUNT_ATTR.NOSUID],
  rnodev: [false, MOUNT_ATTR.NODEV], rdev: [true, MOUNT_ATTR.NODEV],
  rnoexec: [false, MOUNT_ATTR.NOEXEC], rexec: [true, MOUNT_ATTR.NOEXEC],
  rnodiratime: [false, MOUNT_ATTR.NODIRATIME], rdiratime: [true, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW], rsymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW],
};

/** Options that are not kernel flags nor filesystem data but runtime behaviour. */
const runtimeExtensions = new Set(['tmpcopyup', 'idmap', 'ridmap', 'nocopyup', 'copyup']);

export interface ParsedMountOptions {
  /** MS_* flags for the mount(2) call (for a bind: MS_BIND, plus MS_REC for rbind). */
  flags: number;
  /** MS_* flags an option explicitly cleared ("rw", "suid", ...). */
  clearFlags: number;
  /** Each propagation change, in order: one mount(2) call each with MS_REC when recursive. */
  propagation: number[];
  /** Filesystem data ("mode=755,size=65536k"), joined with commas. */
  data: string;
  /** A bind mount (type "bind" or a "bind"/"rbind" option). */
  bind: boolean;
  /** A recursive bind ("rbind"). */
  recursive: boolean;
  /**
   * A bind mount whose flags (ro, nosuid, nodev, noexec, atime...) need a second
   * mount(MS_REMOUNT|MS_BIND|remountFlags) call: the first bind ignores them.
   */
  needsRemount: boolean;
  remountFlags: number;
  /** mount_setattr(AT_RECURSIVE) attributes from "rro", "rnosuid"... */
  recAttrSet: number;
  recAttrClear: number;
  /** Runtime extensions present ("tmpcopyup", "idmap", ...). */
  extensions: string[];
}

/** Flags that only apply through a remount on a bind mount. */
const remountable = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.SYNCHRONOUS | MS.DIRSYNC | MS.NOSYMFOLLOW |
  MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME | MS.LAZYTIME | MS.MANDLOCK;

/**
 * Parses a mount's options as runc and crun do: known flags become MS_* bits, propagation
 * options become separate calls, "rro"-style options become mount_setattr attributes, and the
 * rest is filesystem data. `type` "bind" makes a bind mount even without a bind option.
 */
export function parseMountOptions(options: readonly string[], type?: string): ParsedMountOptions {
  let flags = 0;
  let clearFlags = 0;
  let recAttrSet = 0;
  let recAttrClear = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  const extensions: string[] = [];
  for (const raw of options) {
    const opt = raw.trim();
    if (opt === '') continue;
    const f = flagOptions[opt];
    if (f) {
      const [clear, bit] = f;
      if (clear) {
        flags &= ~bit;
        clearFlags |= bit;
      } else {
        flags |= bit;
        clearFlags &= ~bit;
      }
      continue;
    }
    const p = propagationOptions[opt];
    if (p !== undefined) {
      propagation.push(p);
      continue;
    }
    const r = recursiveAttrOptions[opt];
    if (r) {
      if (r[0]) {
        recAttrClear |= r[1];
        recAttrSet &= ~r[1];
      } else {
        recAttrSet |= r[1];
        recAttrClear &= ~r[1];
      }
      continue;
    }
    const atime = /^r(relatime|norelatime|noatime|atime|strictatime|nostrictatime)$/.exec(opt);
    if (atime) {
      recAttrClear |= MOUNT_ATTR._ATIME;
      if (atime[1] === 'noatime') recAttrSet |= MOUNT_ATTR.NOATIME;
      else if (atime[1] === 'strictatime') recAttrSet |= MOUNT_ATTR.STRICTATIME;
      continue;
    }
    if (runtimeExtensions.has(opt)) {
      extensions.push(opt);
      continue;
    }
    if (opt.includes(',')) throw invalidArgument(`mount option ${JSON.stringify(opt)}: must not contain a comma`);
    data.push(opt);
  }
  if (type === 'bind') flags |= MS.BIND;
  const bind = (flags & MS.BIND) !== 0;
  const recursive = bind && (flags & MS.REC) !== 0;
  const remountFlags = bind ? flags & remountable : 0;
  return {
    flags,
    clearFlags,
    propagation,
    data: data.join(','),
    bind,
    recursive,
    needsRemount: bind && remountFlags !== 0,
    remountFlags,
    recAttrSet,
    recAttrClear,
    extensions,
  };
}

/** The propagation flags of linux.rootfsPropagation ("rprivate" → MS_PRIVATE|MS_REC); 0 for "". */
export function parsePropagation(value: string): number {
  if (value === '') return 0;
  const p = propagationOptions[value];
  if (p === undefined) throw invalidArgument(`rootfsPropagation ${JSON.stringify(value)}: unknown propagation`);
  return p;
}
