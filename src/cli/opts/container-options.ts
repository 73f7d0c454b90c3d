import type { ContainerCreateRequest, HostConfig, RestartPolicy, Ulimit } from '../../client/index.ts';
import { UsageError, type FlagSpec, type ParsedFlags } from '../parse/flags.ts';
import { addExpose, addPublish, type PublishedPorts } from './ports.ts';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from './mounts.ts';
import { parseBytes, parseCpus, parseDuration } from './units.ts';

/** The flags shared by `run` and `create`. */
export const containerFlags: FlagSpec[] = [
  { name: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'name', kind: 'string', description: 'Assign a name to the container' },
  { name: 'env', short: 'e', kind: 'list', description: 'Set environment variables' },
  { name: 'env-file', kind: 'list', description: 'Read in a file of environment variables' },
  { name: 'volume', short: 'v', kind: 'list', description: 'Bind mount a volume' },
  { name: 'mount', kind: 'list', valueName: 'mount', description: 'Attach a filesystem mount to the container' },
  { name: 'workdir', short: 'w', kind: 'string', description: 'Working directory inside the container' },
  { name: 'user', short: 'u', kind: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'entrypoint', kind: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'restart', kind: 'string', default: 'no', description: 'Restart policy to apply when a container exits' },
  { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Memory limit' },
  { name: 'memory-swap', kind: 'string', valueName: 'bytes', description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: 'memory-reservation', kind: 'string', valueName: 'bytes', description: 'Memory soft limit' },
  { name: 'cpus', kind: 'string', valueName: 'decimal', description: 'Number of CPUs' },
  { name: 'cpu-shares', short: 'c', kind: 'int', description: 'CPU shares (relative weight)' },
  { name: 'cpuset-cpus', kind: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', kind: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'pids-limit', kind: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'ulimit', kind: 'list', valueName: 'ulimit', description: 'Ulimit options' },
  { name: 'init', kind: 'bool', description: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'privileged', kind: 'bool', description: 'Give extended privileges to this container' },
  { name: 'cap-add', kind: 'list', description: 'Add Linux capabilities' },
  { name: 'cap-drop', kind: 'list', description: 'Drop Linux capabilities' },
  { name: 'security-opt', kind: 'list', description: 'Security Options' },
  { name: 'read-only', kind: 'bool', description: "Mount the container's root filesystem as read only" },
  { name: 'tmpfs', kind: 'list', description: 'Mount a tmpfs directory' },
  { name: 'hostname', short: 'h', kind: 'string', description: 'Container host name' },
  { name: 'domainname', kind: 'string', description: 'Container NIS domain name' },
  { name: 'add-host', kind: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
  { name: 'dns', kind: 'list', description: 'Set custom DNS servers' },
  { name: 'dns-search', kind: 'list', description: 'Set custom DNS search domains' },
  { name: 'dns-option', kind: 'list', description: 'Set DNS options' },
  { name: 'network', kind: 'string', aliases: ['net'], description: 'Connect a container to a network' },
  { name: 'network-alias', kind: 'list', description: 'Add network-scoped alias for the container' },
  { name: 'ip', kind: 'string', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'mac-address', kind: 'string', description: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { name: 'publish', short: 'p', kind: 'list', description: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', kind: 'bool', description: 'Publish all exposed ports to random ports' },
  { name: 'expose', kind: 'list', description: 'Expose a port or a range of ports' },
  { name: 'label', short: 'l', kind: 'list', description: 'Set meta data on a container' },
  { name: 'health-cmd', kind: 'string', description: 'Command to run to check health' },
  { name: 'health-interval', kind: 'string', valueName: 'duration', description: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { name: 'health-timeout', kind: 'string', valueName: 'duration', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { name: 'health-retries', kind: 'int', description: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-period', kind: 'string', valueName: 'duration', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { name: 'health-start-interval', kind: 'string', valueName: 'duration', description: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { name: 'no-healthcheck', kind: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
  { name: 'stop-signal', kind: 'string', description: 'Signal to stop the container' },
  { name: 'stop-timeout', kind: 'int', description: 'Timeout (in seconds) to stop a container' },
  { name: 'pull', kind: 'string', default: 'missing', description: 'Pull image before running ("always", "missing", "never")' },
  { name: 'platform', kind: 'string', description: 'Set platform if server is multi-platform capable' },
  { name: 'shm-size', kind: 'string', valueName: 'bytes', description: 'Size of /dev/shm' },
  { name: 'sysctl', kind: 'list', valueName: 'map', description: 'Sysctl options' },
  { name: 'group-add', kind: 'list', description: 'Add additional groups to join' },
  { name: 'runtime', kind: 'string', description: 'Runtime to use for this container' },
  { name: 'log-driver', kind: 'string', description: 'Logging driver for the container' },
  { name: 'log-opt', kind: 'list', description: 'Log driver options' },
  { name: 'pid', kind: 'string', description: 'PID namespace to use' },
  { name: 'ipc', kind: 'string', description: 'IPC mode to use' },
  { name: 'uts', kind: 'string', description: 'UTS namespace to use' },
  { name: 'oom-kill-disable', kind: 'bool', description: 'Disable OOM Killer' },
  { name: 'attach', short: 'a', kind: 'list', description: 'Attach to STDIN, STDOUT or STDERR' },
  { name: 'detach-keys', kind: 'string', description: 'Override the key sequence for detaching a container' },
  { name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the pull output' },
  { name: 'rm', kind: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
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
export function parseUlimit(spec: string): Ulimit {
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
export function parseRestart(spec: string): RestartPolicy {
  const [name, count] = spec.split(':') as [string, string?];
  if (!['no', 'always', 'unless-stopped', 'on-failure', ''].includes(name)) {
    throw new UsageError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (count !== undefined) {
    if (name !== 'on-failure') throw new UsageError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (!/^\d+$/.test(count)) throw new UsageError(`invalid restart policy: invalid maximum retry count: ${count}`);
    return { Name: 'on-failure', MaximumRetryCount: Number(count) };
  }
  return { Name: name as RestartPolicy['Name'] };
}

function labelsOf(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    out[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1);
  }
  return out;
}

/**
 * Turns `run`/`create` flags and positionals (IMAGE [COMMAND] [ARG...]) into the
 * `POST /containers/create` body, as the docker CLI does.
 */
export function buildCreateRequest(flags: ParsedFlags, args: readonly string[], src: OptionSources, detach: boolean): ParsedContainer {
  const [image, ...cmd] = args;
  if (!image) throw new UsageError('requires at least 1 argument');
  const body: ContainerCreateRequest = { Image: image };
  const host: HostConfig = {};

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
  for (const [flag, key] of [['pid', 'PidMode'], ['ipc', 'IpcMode'], ['uts', 'UTSMode']] as const) {
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
