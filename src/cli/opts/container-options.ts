import type { ContainerCreateRequest, HostConfigWire, RestartPolicyWire, UlimitWire } from '../../api/types/index.ts';
import { UsageError, type FlagSpec, type ParsedFlags } from '../parse/flags.ts';
import { addExpose, addPublish, type PublishedPorts } from './ports.ts';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from './mounts.ts';
import { parseBytes, parseCpus, parseDuration } from './units.ts';
import { checkBlkioWeight, parseDeviceCgroupRule, parseThrottleBps, parseThrottleIops, parseWeightDevice } from './blkio.ts';
import { keyValueMap } from './key-values.ts';

/** The flags shared by `run` and `create`. */
export const containerFlags: FlagSpec[] = [
  { name: 'interactive', short: 'i', kind: 'bool', description: 'Keep stdin open, even with nothing attached' },
  { name: 'tty', short: 't', kind: 'bool', description: 'Give the process a terminal' },
  { name: 'name', kind: 'string', description: 'Name for the new container' },
  { name: 'env', short: 'e', kind: 'list', description: 'Environment variable to set (KEY=VALUE, or KEY to copy it from here)' },
  { name: 'env-file', kind: 'list', description: 'File of KEY=VALUE lines to add to the environment' },
  { name: 'volume', short: 'v', kind: 'list', description: 'Volume or host path to mount (SRC:DST[:OPTIONS])' },
  { name: 'mount', kind: 'list', valueName: 'mount', description: 'Mount described as key=value pairs (type=, source=, target=, ...)' },
  { name: 'workdir', short: 'w', kind: 'string', description: 'Directory the process starts in' },
  { name: 'user', short: 'u', kind: 'string', description: 'User to run as: <name|uid>[:<group|gid>]' },
  { name: 'entrypoint', kind: 'string', description: "Replace the image's ENTRYPOINT" },
  { name: 'restart', kind: 'string', default: 'no', description: 'When to restart the container after it exits (no, always, unless-stopped, on-failure[:N])' },
  { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Most memory the container may use' },
  { name: 'memory-swap', kind: 'string', valueName: 'bytes', description: 'Memory plus swap the container may use (-1: no swap limit)' },
  { name: 'memory-reservation', kind: 'string', valueName: 'bytes', description: 'Memory the container is reclaimed down to under pressure' },
  { name: 'cpus', kind: 'string', valueName: 'decimal', description: 'How many CPUs worth of time the container may use (e.g. 1.5)' },
  { name: 'cpu-shares', short: 'c', kind: 'int', description: 'CPU weight relative to other containers' },
  { name: 'cpuset-cpus', kind: 'string', description: 'CPUs the container may run on (e.g. 0-3 or 0,1)' },
  { name: 'cpuset-mems', kind: 'string', description: 'Memory nodes the container may use (e.g. 0-3 or 0,1)' },
  { name: 'pids-limit', kind: 'int', description: 'Most processes the container may have (-1: no limit)' },
  { name: 'ulimit', kind: 'list', valueName: 'ulimit', description: 'Resource limit for the process (name=soft[:hard])' },
  { name: 'init', kind: 'bool', description: 'Run a small init as PID 1 to pass on signals and reap zombies' },
  { name: 'privileged', kind: 'bool', description: 'Drop the usual restrictions on the container (all capabilities, host devices)' },
  { name: 'cap-add', kind: 'list', description: 'Capability to grant on top of the defaults' },
  { name: 'cap-drop', kind: 'list', description: 'Capability to take away from the defaults' },
  { name: 'security-opt', kind: 'list', description: 'Security setting (seccomp=, apparmor=, no-new-privileges, ...)' },
  { name: 'read-only', kind: 'bool', description: 'Make the root filesystem read-only' },
  { name: 'tmpfs', kind: 'list', description: 'Directory to back with tmpfs (PATH[:OPTIONS])' },
  { name: 'hostname', short: 'h', kind: 'string', description: 'Host name seen inside the container' },
  { name: 'domainname', kind: 'string', description: 'NIS domain name seen inside the container' },
  { name: 'add-host', kind: 'list', description: 'Extra /etc/hosts entry (host:ip)' },
  { name: 'dns', kind: 'list', description: 'DNS server to put in resolv.conf' },
  { name: 'dns-search', kind: 'list', description: 'DNS search domain to put in resolv.conf' },
  { name: 'dns-option', kind: 'list', description: 'Resolver option to put in resolv.conf' },
  { name: 'network', kind: 'string', aliases: ['net'], description: 'Network to join' },
  { name: 'network-alias', kind: 'list', description: 'Extra name the container answers to on this network' },
  { name: 'ip', kind: 'string', description: 'Fixed IPv4 address on the network (e.g. 172.30.100.104)' },
  { name: 'mac-address', kind: 'string', description: 'Fixed MAC address (e.g. 92:d0:c6:0a:29:33)' },
  { name: 'publish', short: 'p', kind: 'list', description: 'Forward a host port to a container port ([ip:]host:container[/proto])' },
  { name: 'publish-all', short: 'P', kind: 'bool', description: 'Forward every exposed port from a free host port' },
  { name: 'expose', kind: 'list', description: 'Declare a port or port range as exposed' },
  { name: 'label', short: 'l', kind: 'list', description: 'Label to attach to the container (key=value)' },
  { name: 'health-cmd', kind: 'string', description: 'Command that probes whether the container is healthy' },
  { name: 'health-interval', kind: 'string', valueName: 'duration', description: 'Pause between health probes (ms|s|m|h; default 0s)' },
  { name: 'health-timeout', kind: 'string', valueName: 'duration', description: 'Longest a single health probe may take (ms|s|m|h; default 0s)' },
  { name: 'health-retries', kind: 'int', description: 'Failed probes in a row before the container counts as unhealthy' },
  { name: 'health-start-period', kind: 'string', valueName: 'duration', description: 'Grace time at start-up during which failed probes are not counted (ms|s|m|h; default 0s)' },
  { name: 'health-start-interval', kind: 'string', valueName: 'duration', description: 'Pause between health probes during the start period (ms|s|m|h; default 0s)' },
  { name: 'no-healthcheck', kind: 'bool', description: "Ignore the image's HEALTHCHECK" },
  { name: 'stop-signal', kind: 'string', description: 'Signal sent to stop the container' },
  { name: 'stop-timeout', kind: 'int', description: 'Seconds to wait for a clean exit before killing the container' },
  { name: 'pull', kind: 'string', default: 'missing', description: 'When to fetch the image first: "always", "missing" or "never"' },
  { name: 'platform', kind: 'string', description: 'Platform to use, as os[/arch[/variant]]' },
  { name: 'shm-size', kind: 'string', valueName: 'bytes', description: 'Size of the /dev/shm tmpfs' },
  { name: 'sysctl', kind: 'list', valueName: 'map', description: 'Kernel parameter to set in the container (name=value)' },
  { name: 'group-add', kind: 'list', description: 'Extra group the process belongs to' },
  { name: 'runtime', kind: 'string', description: 'OCI runtime that runs the container' },
  { name: 'log-driver', kind: 'string', description: "Log driver for the container's output" },
  { name: 'log-opt', kind: 'list', description: 'Setting for the log driver (key=value)' },
  { name: 'pid', kind: 'string', description: 'Process namespace: a new one, "host" or "container:<name|id>"' },
  { name: 'ipc', kind: 'string', description: 'IPC namespace: a new one, "host", "shareable", "none" or "container:<name|id>"' },
  { name: 'uts', kind: 'string', description: 'Host name namespace: a new one or "host"' },
  { name: 'userns', kind: 'string', description: 'User namespace: "host" (the only one Berth offers)' },
  { name: 'blkio-weight', kind: 'int', valueName: 'uint16', description: 'Relative block I/O weight, 10 to 1000 (0: unset)' },
  { name: 'blkio-weight-device', kind: 'list', valueName: 'list', description: 'Relative block I/O weight on one device (DEVICE:WEIGHT)' },
  { name: 'device-read-bps', kind: 'list', valueName: 'list', description: 'Most bytes per second read from a device (DEVICE:RATE[kb|mb|gb])' },
  { name: 'device-write-bps', kind: 'list', valueName: 'list', description: 'Most bytes per second written to a device (DEVICE:RATE[kb|mb|gb])' },
  { name: 'device-read-iops', kind: 'list', valueName: 'list', description: 'Most read operations per second on a device (DEVICE:RATE)' },
  { name: 'device-write-iops', kind: 'list', valueName: 'list', description: 'Most write operations per second on a device (DEVICE:RATE)' },
  { name: 'device-cgroup-rule', kind: 'list', description: "Extra rule for the devices cgroup (e.g. 'c 1:3 rwm')" },
  { name: 'oom-kill-disable', kind: 'bool', description: 'Do not let the kernel OOM killer kill the container' },
  { name: 'attach', short: 'a', kind: 'list', description: 'Stream to connect: STDIN, STDOUT or STDERR' },
  { name: 'detach-keys', kind: 'string', description: 'Keys that detach the terminal from the container (e.g. ctrl-p,ctrl-q)' },
  { name: 'quiet', short: 'q', kind: 'bool', description: 'Print nothing while fetching the image' },
  { name: 'rm', kind: 'bool', description: 'Delete the container and its anonymous volumes once it exits' },
];

/** What build needs from the outside world: environment lookups, env files, the cwd. */
export interface OptionSources {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
  cwd: string;
}

export interface ParsedContainer {
  image: string;
  name: string | undefined;
  platform: string | undefined;
  pull: 'missing' | 'always' | 'never';
  body: ContainerCreateRequest;
}

/** Parses `-e` values: `A=1` as is, `A` from the environment (omitted when unset). */
export function parseEnvList(values: readonly string[], env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.startsWith('=')) throw new UsageError(`invalid environment variable: ${v}`);
    if (v.includes('=')) out.push(v);
    else if (env[v] !== undefined) out.push(`${v}=${env[v]}`);
  }
  return out;
}

/** Parses an env file: `KEY=value` lines, `#` comments, blank lines, bare `KEY` from the environment. */
export function parseEnvFile(text: string, path: string, env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (!key || /\s/.test(key)) throw new UsageError(`invalid env file "${path}" line ${i + 1}: variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else if (env[key] !== undefined) out.push(`${key}=${env[key]}`);
  }
  return out;
}

/** `--ulimit nofile=1024:2048` → { Name: 'nofile', Soft: 1024, Hard: 2048 }. */
export function parseUlimit(spec: string): UlimitWire {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`invalid argument "${spec}" for "--ulimit" flag: invalid ulimit argument: ${spec}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard && hard !== -1) {
    throw new UsageError(`invalid argument "${spec}" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: m[1] as string, Soft: soft, Hard: hard };
}

/** `--restart on-failure:3` → { Name: 'on-failure', MaximumRetryCount: 3 }. */
export function parseRestart(spec: string): RestartPolicyWire {
  const [name, count] = spec.split(':') as [string, string?];
  if (!['no', 'always', 'unless-stopped', 'on-failure', ''].includes(name)) {
    throw new UsageError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (count !== undefined) {
    if (name !== 'on-failure') throw new UsageError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (!/^\d+$/.test(count)) throw new UsageError(`invalid restart policy: invalid maximum retry count: ${count}`);
    return { Name: 'on-failure', MaximumRetryCount: Number(count) };
  }
  return { Name: name as RestartPolicyWire['Name'] };
}

function labelsOf(values: readonly string[]): Record<string, string> | undefined {
  return values.length === 0 ? undefined : keyValueMap(values);
}

/**
 * Turns `run`/`create` flags and positionals (IMAGE [COMMAND] [ARG...]) into the
 * `POST /containers/create` body, as the docker CLI does.
 */
export function buildCreateRequest(flags: ParsedFlags, args: readonly string[], src: OptionSources, detach: boolean): ParsedContainer {
  const [image, ...cmd] = args;
  if (!image) throw new UsageError('requires at least 1 argument');
  const body: ContainerCreateRequest = { Image: image };
  const host: HostConfigWire = {};

  const tty = flags.bool('tty');
  const stdin = flags.bool('interactive');
  const attach = flags.list('attach').map((s) => s.toLowerCase());
  for (const a of attach) if (!['stdin', 'stdout', 'stderr'].includes(a)) throw new UsageError(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  if (detach && attach.length) throw new UsageError('conflicting options: cannot specify both --attach and --detach');
  body.Tty = tty;
  body.OpenStdin = stdin;
  body.AttachStdin = !detach && (attach.length ? attach.includes('stdin') : stdin);
  body.AttachStdout = !detach && (attach.length ? attach.includes('stdout') : true);
  body.AttachStderr = !detach && (attach.length ? attach.includes('stderr') : true);
  body.StdinOnce = Boolean(body.AttachStdin && stdin);
  if (cmd.length) body.Cmd = cmd;

  const env = [
    ...flags.list('env-file').flatMap((p) => parseEnvFile(readEnvFile(src, p), p, src.env)),
    ...parseEnvList(flags.list('env'), src.env),
  ];
  if (env.length) body.Env = env;

  const set = <K extends keyof typeof body>(k: K, v: (typeof body)[K] | undefined) => {
    if (v !== undefined) body[k] = v;
  };
  set('WorkingDir', flags.string('workdir'));
  set('User', flags.string('user'));
  set('Hostname', flags.string('hostname'));
  set('Domainname', flags.string('domainname'));
  set('StopSignal', flags.string('stop-signal'));
  set('StopTimeout', flags.int('stop-timeout'));
  set('Labels', labelsOf(flags.list('label')));
  set('MacAddress', flags.string('mac-address'));
  if (flags.changed('entrypoint')) {
    const ep = flags.string('entrypoint') ?? '';
    body.Entrypoint = [ep];
  }

  const exposed: Record<string, object> = {};
  const published: PublishedPorts = { exposed, bindings: {} };
  for (const p of flags.list('publish')) addPublish(p, published);
  for (const e of flags.list('expose')) addExpose(e, exposed);
  if (Object.keys(exposed).length) body.ExposedPorts = exposed;
  if (Object.keys(published.bindings).length) host.PortBindings = published.bindings;
  if (flags.bool('publish-all')) host.PublishAllPorts = true;

  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of flags.list('volume')) {
    const r = parseVolumeFlag(v, src.cwd);
    if (r.bind) binds.push(r.bind);
    if (r.volume) volumes[r.volume] = {};
  }
  if (binds.length) host.Binds = binds;
  if (Object.keys(volumes).length) body.Volumes = volumes;
  const mounts = flags.list('mount').map(parseMountFlag);
  if (mounts.length) host.Mounts = mounts;
  const tmpfs = flags.list('tmpfs');
  if (tmpfs.length) host.Tmpfs = Object.fromEntries(tmpfs.map(parseTmpfsFlag));

  const mem = flags.string('memory');
  if (mem !== undefined) host.Memory = parseBytes(mem, '-m, --memory');
  const swap = flags.string('memory-swap');
  if (swap !== undefined) host.MemorySwap = parseBytes(swap, '--memory-swap');
  const memRes = flags.string('memory-reservation');
  if (memRes !== undefined) host.MemoryReservation = parseBytes(memRes, '--memory-reservation');
  const cpus = flags.string('cpus');
  if (cpus !== undefined) host.NanoCpus = parseCpus(cpus);
  const shares = flags.int('cpu-shares');
  if (shares !== undefined) host.CpuShares = shares;
  const cpuset = flags.string('cpuset-cpus');
  if (cpuset !== undefined) host.CpusetCpus = cpuset;
  const cpusetMems = flags.string('cpuset-mems');
  if (cpusetMems !== undefined) host.CpusetMems = cpusetMems;
  const pids = flags.int('pids-limit');
  if (pids !== undefined) host.PidsLimit = pids;
  const ulimits = flags.list('ulimit').map(parseUlimit);
  if (ulimits.length) host.Ulimits = ulimits;
  const shm = flags.string('shm-size');
  if (shm !== undefined) host.ShmSize = parseBytes(shm, '--shm-size');
  if (flags.bool('oom-kill-disable')) host.OomKillDisable = true;

  if (flags.changed('init')) host.Init = flags.bool('init');
  if (flags.bool('privileged')) host.Privileged = true;
  if (flags.bool('read-only')) host.ReadonlyRootfs = true;
  if (flags.list('cap-add').length) host.CapAdd = flags.list('cap-add');
  if (flags.list('cap-drop').length) host.CapDrop = flags.list('cap-drop');
  if (flags.list('security-opt').length) host.SecurityOpt = flags.list('security-opt');
  if (flags.list('add-host').length) host.ExtraHosts = flags.list('add-host').map((h) => h.replace('=', ':'));
  if (flags.list('dns').length) host.Dns = flags.list('dns');
  if (flags.list('dns-search').length) host.DnsSearch = flags.list('dns-search');
  if (flags.list('dns-option').length) host.DnsOptions = flags.list('dns-option');
  if (flags.list('group-add').length) host.GroupAdd = flags.list('group-add');
  const sysctls = flags.list('sysctl');
  if (sysctls.length) host.Sysctls = labelsOf(sysctls) as Record<string, string>;
  const runtime = flags.string('runtime');
  if (runtime !== undefined) host.Runtime = runtime;
  const weight = flags.int('blkio-weight');
  if (weight !== undefined) host.BlkioWeight = checkBlkioWeight(weight);
  const weights = flags.list('blkio-weight-device').map(parseWeightDevice);
  if (weights.length) host.BlkioWeightDevice = weights;
  const bps = (flag: string) => flags.list(flag).map((v) => parseThrottleBps(v, `--${flag}`));
  const iops = (flag: string) => flags.list(flag).map((v) => parseThrottleIops(v, `--${flag}`));
  const readBps = bps('device-read-bps');
  if (readBps.length) host.BlkioDeviceReadBps = readBps;
  const writeBps = bps('device-write-bps');
  if (writeBps.length) host.BlkioDeviceWriteBps = writeBps;
  const readIops = iops('device-read-iops');
  if (readIops.length) host.BlkioDeviceReadIOps = readIops;
  const writeIops = iops('device-write-iops');
  if (writeIops.length) host.BlkioDeviceWriteIOps = writeIops;
  const rules = flags.list('device-cgroup-rule').map(parseDeviceCgroupRule);
  if (rules.length) host.DeviceCgroupRules = rules;
  for (const [flag, key] of [['pid', 'PidMode'], ['ipc', 'IpcMode'], ['uts', 'UTSMode'], ['userns', 'UsernsMode']] as const) {
    const v = flags.string(flag);
    if (v !== undefined) host[key] = v;
  }
  const logDriver = flags.string('log-driver');
  const logOpts = flags.list('log-opt');
  if (logDriver !== undefined || logOpts.length) {
    host.LogConfig = { Type: logDriver ?? '', Config: labelsOf(logOpts) ?? {} };
  }

  const network = flags.string('network');
  host.NetworkMode = network ?? 'default';
  const aliases = flags.list('network-alias');
  const ip = flags.string('ip');
  if (network && (aliases.length || ip)) {
    body.NetworkingConfig = {
      EndpointsConfig: {
        [network]: {
          ...(aliases.length ? { Aliases: aliases } : {}),
          ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}),
        },
      },
    };
  }

  host.RestartPolicy = parseRestart(flags.string('restart') ?? 'no');
  if (flags.bool('rm')) {
    if (host.RestartPolicy.Name !== 'no' && host.RestartPolicy.Name !== '') {
      throw new UsageError('conflicting options: cannot specify both --restart and --rm');
    }
    host.AutoRemove = true;
  }

  // Healthcheck
  if (flags.bool('no-healthcheck')) {
    const conflicting = ['health-cmd', 'health-interval', 'health-timeout', 'health-retries', 'health-start-period'].some((f) => flags.changed(f));
    if (conflicting) throw new UsageError('--no-healthcheck conflicts with --health-* options');
    body.Healthcheck = { Test: ['NONE'] };
  } else {
    const hc: NonNullable<ContainerCreateRequest['Healthcheck']> = {};
    const cmdText = flags.string('health-cmd');
    if (cmdText !== undefined) hc.Test = ['CMD-SHELL', cmdText];
    const dur = (flag: string) => {
      const v = flags.string(flag);
      if (v === undefined) return undefined;
      const ns = parseDuration(v, `--${flag}`);
      if (ns < 0) throw new UsageError(`--${flag} cannot be negative`);
      return ns;
    };
    const interval = dur('health-interval');
    const timeout = dur('health-timeout');
    const start = dur('health-start-period');
    const startInterval = dur('health-start-interval');
    const retries = flags.int('health-retries');
    if (interval !== undefined) hc.Interval = interval;
    if (timeout !== undefined) hc.Timeout = timeout;
    if (start !== undefined) hc.StartPeriod = start;
    if (startInterval !== undefined) hc.StartInterval = startInterval;
    if (retries !== undefined) {
      if (retries < 0) throw new UsageError('--health-retries cannot be negative');
      hc.Retries = retries;
    }
    if (Object.keys(hc).length) body.Healthcheck = hc;
  }

  body.HostConfig = host;
  const pull = flags.string('pull') ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') {
    throw new UsageError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  return { image, name: flags.string('name'), platform: flags.string('platform'), pull, body };
}

function readEnvFile(src: OptionSources, path: string): string {
  try {
    return src.readFile(path);
  } catch (err) {
    throw new UsageError(`open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
}
