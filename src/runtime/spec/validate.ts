import { invalidArgument } from '../../lib/index.ts';
import type { Spec } from './types.ts';

/**
 * Checks a parsed config.json and returns it typed, or throws an invalid-argument error naming
 * the JSON path: `config.json: process.args: must be a non-empty array`. Unknown fields are
 * kept (the spec allows extensions); known fields must have the spec's types.
 */
export function validateSpec(input: unknown, options: { source?: string } = {}): Spec {
  const v = new Validator(options.source ?? 'config.json');
  v.spec(input);
  return input as Spec;
}

const namespaceTypes = new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);
const seccompActions = new Set([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const seccompOps = new Set([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);
const hookNames = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

type Obj = Record<string, unknown>;

class Validator {
  constructor(private readonly source: string) {}

  fail(path: string, msg: string): never {
    throw invalidArgument(`${this.source}: ${path}: ${msg}`);
  }

  isObj(x: unknown): x is Obj {
    return typeof x === 'object' && x !== null && !Array.isArray(x);
  }

  obj(x: unknown, path: string): Obj {
    if (!this.isObj(x)) this.fail(path, 'must be an object');
    return x;
  }

  optObj(o: Obj, key: string, path: string): Obj | undefined {
    const x = o[key];
    if (x === undefined) return undefined;
    return this.obj(x, join(path, key));
  }

  str(o: Obj, key: string, path: string, required = false): void {
    const x = o[key];
    if (x === undefined) {
      if (required) this.fail(join(path, key), 'is required');
      return;
    }
    if (typeof x !== 'string') this.fail(join(path, key), 'must be a string');
  }

  nonEmptyStr(o: Obj, key: string, path: string): void {
    const x = o[key];
    if (typeof x !== 'string' || x === '') this.fail(join(path, key), 'must be a non-empty string');
  }

  bool(o: Obj, key: string, path: string): void {
    const x = o[key];
    if (x !== undefined && typeof x !== 'boolean') this.fail(join(path, key), 'must be a boolean');
  }

  int(o: Obj, key: string, path: string, opts: { required?: boolean; min?: number; max?: number } = {}): void {
    const x = o[key];
    const p = join(path, key);
    if (x === undefined) {
      if (opts.required) this.fail(p, 'is required');
      return;
    }
    if (typeof x === 'bigint') return;
    if (typeof x !== 'number' || !Number.isInteger(x)) this.fail(p, 'must be an integer');
    if (opts.min !== undefined && x < opts.min) this.fail(p, `must be >= ${opts.min}`);
    if (opts.max !== undefined && x > opts.max) this.fail(p, `must be <= ${opts.max}`);
  }

  arr(o: Obj, key: string, path: string, opts: { required?: boolean; nonEmpty?: boolean } = {}): unknown[] | undefined {
    const x = o[key];
    const p = join(path, key);
    if (x === undefined) {
      if (opts.required) this.fail(p, opts.nonEmpty ? 'must be a non-empty array' : 'is required');
      return undefined;
    }
    if (!Array.isArray(x)) this.fail(p, opts.nonEmpty ? 'must be a non-empty array' : 'must be an array');
    if (opts.nonEmpty && x.length === 0) this.fail(p, 'must be a non-empty array');
    return x;
  }

  strArr(o: Obj, key: string, path: string, opts: { required?: boolean; nonEmpty?: boolean } = {}): void {
    const a = this.arr(o, key, path, opts);
    a?.forEach((s, i) => {
      if (typeof s !== 'string') this.fail(`${join(path, key)}[${i}]`, 'must be a string');
    });
  }

  strMap(o: Obj, key: string, path: string): void {
    const m = this.optObj(o, key, path);
    if (!m) return;
    for (const [k, val] of Object.entries(m)) {
      if (typeof val !== 'string') this.fail(`${join(path, key)}.${k}`, 'must be a string');
    }
  }

  spec(input: unknown): void {
    const s = this.obj(input, '(root)');
    this.nonEmptyStr(s, 'ociVersion', '');
    const root = this.optObj(s, 'root', '');
    if (root) {
      this.nonEmptyStr(root, 'path', 'root');
      this.bool(root, 'readonly', 'root');
    }
    this.str(s, 'hostname', '');
    this.str(s, 'domainname', '');
    this.strMap(s, 'annotations', '');
    const proc = this.optObj(s, 'process', '');
    if (proc) this.process(proc);
    this.arr(s, 'mounts', '')?.forEach((m, i) => this.mount(m, `mounts[${i}]`));
    const hooks = this.optObj(s, 'hooks', '');
    if (hooks) {
      for (const name of hookNames) {
        this.arr(hooks, name, 'hooks')?.forEach((h, i) => {
          const p = `hooks.${name}[${i}]`;
          const hook = this.obj(h, p);
          this.nonEmptyStr(hook, 'path', p);
          if (typeof hook['path'] === 'string' && !hook['path'].startsWith('/')) this.fail(`${p}.path`, 'must be an absolute path');
          this.strArr(hook, 'args', p);
          this.strArr(hook, 'env', p);
          this.int(hook, 'timeout', p, { min: 1 });
        });
      }
    }
    const linux = this.optObj(s, 'linux', '');
    if (linux) this.linux(linux);
  }

  process(p: Obj): void {
    const path = 'process';
    this.bool(p, 'terminal', path);
    const cs = this.optObj(p, 'consoleSize', path);
    if (cs) {
      this.int(cs, 'height', 'process.consoleSize', { required: true, min: 0 });
      this.int(cs, 'width', 'process.consoleSize', { required: true, min: 0 });
    }
    const user = p['user'] === undefined ? this.fail('process.user', 'is required') : this.obj(p['user'], 'process.user');
    this.int(user, 'uid', 'process.user', { required: true, min: 0 });
    this.int(user, 'gid', 'process.user', { required: true, min: 0 });
    this.int(user, 'umask', 'process.user', { min: 0, max: 0o777 });
    this.arr(user, 'additionalGids', 'process.user')?.forEach((g, i) => {
      if (typeof g !== 'number' || !Number.isInteger(g) || g < 0) this.fail(`process.user.additionalGids[${i}]`, 'must be a non-negative integer');
    });
    this.strArr(p, 'args', path, { required: true, nonEmpty: true });
    this.strArr(p, 'env', path);
    (p['env'] as string[] | undefined)?.forEach((e, i) => {
      if (!e.includes('=')) this.fail(`process.env[${i}]`, `must be "KEY=value", got ${JSON.stringify(e)}`);
    });
    this.nonEmptyStr(p, 'cwd', path);
    if (!(p['cwd'] as string).startsWith('/')) this.fail('process.cwd', 'must be an absolute path');
    const caps = this.optObj(p, 'capabilities', path);
    if (caps) for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) this.strArr(caps, set, 'process.capabilities');
    this.arr(p, 'rlimits', path)?.forEach((r, i) => {
      const rp = `process.rlimits[${i}]`;
      const rl = this.obj(r, rp);
      this.nonEmptyStr(rl, 'type', rp);
      this.int(rl, 'hard', rp, { required: true, min: 0 });
      this.int(rl, 'soft', rp, { required: true, min: 0 });
      if ((rl['soft'] as number) > (rl['hard'] as number)) this.fail(rp, 'soft must not exceed hard');
    });
    this.bool(p, 'noNewPrivileges', path);
    this.str(p, 'apparmorProfile', path);
    this.int(p, 'oomScoreAdj', path, { min: -1000, max: 1000 });
    this.str(p, 'selinuxLabel', path);
  }

  mount(m: unknown, path: string): void {
    const o = this.obj(m, path);
    this.nonEmptyStr(o, 'destination', path);
    this.str(o, 'type', path);
    this.str(o, 'source', path);
    this.strArr(o, 'options', path);
    this.idMaps(o, 'uidMappings', path);
    this.idMaps(o, 'gidMappings', path);
  }

  idMaps(o: Obj, key: string, path: string): void {
    this.arr(o, key, path)?.forEach((m, i) => {
      const p = `${join(path, key)}[${i}]`;
      const mo = this.obj(m, p);
      this.int(mo, 'containerID', p, { required: true, min: 0 });
      this.int(mo, 'hostID', p, { required: true, min: 0 });
      this.int(mo, 'size', p, { required: true, min: 1 });
    });
  }

  linux(l: Obj): void {
    const path = 'linux';
    this.arr(l, 'namespaces', path)?.forEach((n, i) => {
      const p = `linux.namespaces[${i}]`;
      const ns = this.obj(n, p);
      if (typeof ns['type'] !== 'string' || !namespaceTypes.has(ns['type'])) {
        this.fail(`${p}.type`, `unknown namespace type ${JSON.stringify(ns['type'])}`);
      }
      this.str(ns, 'path', p);
      if (typeof ns['path'] === 'string' && !ns['path'].startsWith('/')) this.fail(`${p}.path`, 'must be an absolute path');
    });
    const nsList = (l['namespaces'] as { type: string }[] | undefined) ?? [];
    const seen = new Set<string>();
    for (const ns of nsList) {
      if (seen.has(ns.type)) this.fail('linux.namespaces', `namespace ${JSON.stringify(ns.type)} listed twice`);
      seen.add(ns.type);
    }
    this.idMaps(l, 'uidMappings', path);
    this.idMaps(l, 'gidMappings', path);
    this.arr(l, 'devices', path)?.forEach((d, i) => {
      const p = `linux.devices[${i}]`;
      const dev = this.obj(d, p);
      this.nonEmptyStr(dev, 'path', p);
      if (!['c', 'b', 'u', 'p'].includes(dev['type'] as string)) this.fail(`${p}.type`, `must be one of "c", "b", "u", "p"`);
      const needsNumbers = dev['type'] !== 'p';
      this.int(dev, 'major', p, { required: needsNumbers, min: 0 });
      this.int(dev, 'minor', p, { required: needsNumbers, min: 0 });
      this.int(dev, 'fileMode', p, { min: 0 });
      this.int(dev, 'uid', p, { min: 0 });
      this.int(dev, 'gid', p, { min: 0 });
    });
    this.str(l, 'cgroupsPath', path);
    const res = this.optObj(l, 'resources', path);
    if (res) this.resources(res);
    this.strMap(l, 'sysctl', path);
    const sc = this.optObj(l, 'seccomp', path);
    if (sc) this.seccomp(sc);
    this.str(l, 'rootfsPropagation', path);
    if (l['rootfsPropagation'] !== undefined &&
        !['shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable', ''].includes(l['rootfsPropagation'] as string)) {
      this.fail('linux.rootfsPropagation', `unknown propagation ${JSON.stringify(l['rootfsPropagation'])}`);
    }
    this.strArr(l, 'maskedPaths', path);
    this.strArr(l, 'readonlyPaths', path);
    this.str(l, 'mountLabel', path);
  }

  resources(r: Obj): void {
    const path = 'linux.resources';
    this.arr(r, 'devices', path)?.forEach((d, i) => {
      const p = `${path}.devices[${i}]`;
      const dev = this.obj(d, p);
      if (typeof dev['allow'] !== 'boolean') this.fail(`${p}.allow`, 'must be a boolean');
      this.str(dev, 'type', p);
      if (dev['type'] !== undefined && !['a', 'c', 'b'].includes(dev['type'] as string)) this.fail(`${p}.type`, 'must be one of "a", "c", "b"');
      if (dev['major'] !== null) this.int(dev, 'major', p, { min: -1 });
      if (dev['minor'] !== null) this.int(dev, 'minor', p, { min: -1 });
      this.str(dev, 'access', p);
      if (typeof dev['access'] === 'string' && !/^[rwm]*$/.test(dev['access'])) this.fail(`${p}.access`, 'must be made of "r", "w", "m"');
    });
    const mem = this.optObj(r, 'memory', path);
    if (mem) {
      for (const k of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']) this.int(mem, k, `${path}.memory`, { min: -1 });
      this.int(mem, 'swappiness', `${path}.memory`, { min: 0, max: 100 });
      this.bool(mem, 'disableOOMKiller', `${path}.memory`);
      this.bool(mem, 'useHierarchy', `${path}.memory`);
    }
    const cpu = this.optObj(r, 'cpu', path);
    if (cpu) {
      for (const k of ['shares', 'period', 'realtimePeriod', 'burst']) this.int(cpu, k, `${path}.cpu`, { min: 0 });
      for (const k of ['quota', 'realtimeRuntime', 'idle']) this.int(cpu, k, `${path}.cpu`);
      this.str(cpu, 'cpus', `${path}.cpu`);
      this.str(cpu, 'mems', `${path}.cpu`);
    }
    const pids = this.optObj(r, 'pids', path);
    if (pids) this.int(pids, 'limit', `${path}.pids`, { required: true });
    const bio = this.optObj(r, 'blockIO', path);
    if (bio) {
      const bp = `${path}.blockIO`;
      this.int(bio, 'weight', bp, { min: 0, max: 1000 });
      this.int(bio, 'leafWeight', bp, { min: 0, max: 1000 });
      for (const k of ['weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
        this.arr(bio, k, bp)?.forEach((d, i) => {
          const p = `${bp}.${k}[${i}]`;
          const dev = this.obj(d, p);
          this.int(dev, 'major', p, { required: true, min: 0 });
          this.int(dev, 'minor', p, { required: true, min: 0 });
          if (k !== 'weightDevice') this.int(dev, 'rate', p, { required: true, min: 0 });
        });
      }
    }
    this.arr(r, 'hugepageLimits', path)?.forEach((h, i) => {
      const p = `${path}.hugepageLimits[${i}]`;
      const o = this.obj(h, p);
      this.nonEmptyStr(o, 'pageSize', p);
      this.int(o, 'limit', p, { required: true, min: 0 });
    });
    this.strMap(r, 'unified', path);
  }

  seccomp(s: Obj): void {
    const path = 'linux.seccomp';
    if (!seccompActions.has(s['defaultAction'] as string)) this.fail(`${path}.defaultAction`, `unknown action ${JSON.stringify(s['defaultAction'])}`);
    this.int(s, 'defaultErrnoRet', path, { min: 0 });
    this.strArr(s, 'architectures', path);
    this.strArr(s, 'flags', path);
    this.str(s, 'listenerPath', path);
    this.arr(s, 'syscalls', path)?.forEach((sc, i) => {
      const p = `${path}.syscalls[${i}]`;
      const o = this.obj(sc, p);
      this.strArr(o, 'names', p, { required: true, nonEmpty: true });
      if (!seccompActions.has(o['action'] as string)) this.fail(`${p}.action`, `unknown action ${JSON.stringify(o['action'])}`);
      this.int(o, 'errnoRet', p, { min: 0 });
      this.arr(o, 'args', p)?.forEach((a, j) => {
        const ap = `${p}.args[${j}]`;
        const arg = this.obj(a, ap);
        this.int(arg, 'index', ap, { required: true, min: 0, max: 5 });
        this.int(arg, 'value', ap, { required: true, min: 0 });
        this.int(arg, 'valueTwo', ap, { min: 0 });
        if (!seccompOps.has(arg['op'] as string)) this.fail(`${ap}.op`, `unknown operator ${JSON.stringify(arg['op'])}`);
      });
    });
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
