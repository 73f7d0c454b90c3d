import type { LinuxDevice, LinuxDeviceCgroup, Mount, Spec } from './types.ts';

/** The runtime-spec version Berth writes and reports. */
export const OCI_VERSION = '1.2.0';

export interface DefaultSpecOptions {
  /** A user-namespaced config runnable by `uid`/`gid` without root, like `runc spec --rootless`. */
  rootless?: boolean;
  /** Host ids mapped to root in the rootless config (default: this process's uid/gid). */
  uid?: number;
  gid?: number;
  /** Process arguments (default ["sh"]). */
  args?: string[];
  /** Process terminal (default true, like runc). */
  terminal?: boolean;
  rootPath?: string;
  hostname?: string;
}

/** The five default mounts plus /sys and its cgroup, as `runc spec` writes them. */
function runcMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/** A default config.json like `runc spec` (and `runc spec --rootless`). */
export function defaultSpec(options: DefaultSpecOptions = {}): Spec {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: options.terminal ?? true,
      user: { uid: 0, gid: 0 },
      args: options.args ?? ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: options.rootPath ?? 'rootfs', readonly: true },
    hostname: options.hostname ?? 'berth',
    mounts: runcMounts(),
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: [...runcMaskedPaths],
      readonlyPaths: [...dockerReadonlyPaths],
    },
  };
  return options.rootless ? toRootless(spec, options.uid ?? process.getuid?.() ?? 0, options.gid ?? process.getgid?.() ?? 0) : spec;
}

/**
 * Turns a spec into its rootless form as runc does: a user namespace mapping root to the
 * caller, no network or cgroup namespace of its own, /sys bind-mounted (sysfs needs a netns
 * owned by the userns), no gid= options (only one id is mapped), no cgroup resources.
 */
export function toRootless(spec: Spec, uid: number, gid: number): Spec {
  const linux = spec.linux ?? {};
  const namespaces = (linux.namespaces ?? []).filter((n) => n.type !== 'network' && n.type !== 'user' && n.type !== 'cgroup');
  namespaces.push({ type: 'user' });
  const mounts = (spec.mounts ?? []).map((m): Mount => {
    if (m.destination === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    if (!m.options) return m;
    return { ...m, options: m.options.filter((o) => !o.startsWith('gid=') && !o.startsWith('uid=')) };
  });
  const { resources: _dropped, ...rest } = linux;
  return {
    ...spec,
    mounts,
    linux: {
      ...rest,
      namespaces,
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    },
  };
}

const runcMaskedPaths = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];

/** The 14 capabilities Docker grants a container by default. */
export const dockerDefaultCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Paths Docker masks (an empty read-only file or tmpfs over them) unless --privileged. */
export const dockerMaskedPaths: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Paths Docker remounts read-only unless --privileged. */
export const dockerReadonlyPaths: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's default mounts, in order. */
export function dockerDefaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  ];
}

/**
 * The devices every Linux container gets (runtime-spec "Default Devices"); the runtime creates
 * them (or bind-mounts them from the host in a user namespace). /dev/console is added when the
 * process has a terminal; /dev/ptmx is a symlink to pts/ptmx.
 */
export const ociDefaultDevices: readonly LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

/**
 * The devices every container may use whatever its rules say: null, zero, full, random,
 * urandom, tty, console, ptmx and the pts slaves (runc's AllowedDevices). A fresh copy each call.
 */
export function alwaysAllowedDeviceRules(): LinuxDeviceCgroup[] {
  const chr = (major: number, minor: number): LinuxDeviceCgroup => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [chr(1, 3), chr(1, 5), chr(1, 7), chr(1, 8), chr(1, 9), chr(5, 0), chr(5, 1), chr(5, 2), chr(136, -1)];
}

/**
 * The device cgroup rules Docker (and runc) apply by default: deny everything, then allow mknod
 * of any device and rwm on the default devices, the console, ptmx and the pts slaves.
 */
export const dockerDefaultDeviceRules: readonly LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  ...alwaysAllowedDeviceRules(),
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];
