import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath } from '../../src/lib/index.ts';
import { Scratch } from './helpers.ts';

const s = new Scratch('cli');
after(() => s.remove());

const bin = binPath('berth-runtime');

function cli(args: string[], options: { cwd?: string } = {}) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(bin, ['--root', s.root, ...args], { encoding: 'utf8', env, cwd: options.cwd ?? s.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('berth-runtime run propagates the exit status and the output', () => {
  const bundle = s.bundle(['sh', '-c', 'echo out; exit 3']);
  const r = cli(['run', '-b', bundle, s.id('run')]);
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, 'out\n');
  assert.equal(cli(['list', '-q']).stdout, '');
});

test('berth-runtime create/start/state/kill/delete with list formats', () => {
  const bundle = s.bundle(['sleep', '60']);
  const id = s.id('c');
  const pidFile = join(s.dir, `${id}.pid`);
  // create hands the caller's stdio to the container: keep it off the test's pipes
  const created = spawnSync(bin, ['--root', s.root, 'create', '-b', bundle, '--pid-file', pidFile, id], { stdio: 'ignore', env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
  assert.equal(created.status, 0);
  const st = JSON.parse(cli(['state', id]).stdout) as { status: string; pid: number; id: string };
  assert.equal(st.status, 'created');
  assert.equal(Number(readFileSync(pidFile, 'utf8')), st.pid);
  assert.equal(cli(['start', id]).status, 0);
  const list = JSON.parse(cli(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
  assert.deepEqual(list.map((c) => [c.id, c.status]), [[id, 'running']]);
  assert.match(cli(['list']).stdout, new RegExp(`^ID\\s+PID\\s+STATUS[\\s\\S]*${id}\\s+${st.pid}\\s+running`));
  assert.deepEqual(JSON.parse(cli(['ps', '--format', 'json', id]).stdout), [st.pid]);
  const exec = cli(['exec', id, 'sh', '-c', 'echo in; exit 4']);
  assert.equal(exec.status, 4);
  assert.equal(exec.stdout, 'in\n');
  assert.equal(cli(['pause', id]).status, 0);
  assert.equal(JSON.parse(cli(['state', id]).stdout).status, 'paused');
  assert.equal(cli(['resume', id]).status, 0);
  const bad = cli(['delete', id]);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, `berth-runtime: delete "${id}": container is running, not stopped or created (use force to delete a running container)\n`);
  assert.equal(cli(['kill', id, 'KILL']).status, 0);
  for (let i = 0; i < 100 && JSON.parse(cli(['state', id]).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.05']);
  assert.equal(JSON.parse(cli(['state', id]).stdout).status, 'stopped');
  assert.equal(cli(['delete', id]).status, 0);
  assert.equal(existsSync(join(s.root, id)), false);
});

test('berth-runtime gives precise errors without stack traces', () => {
  const unknown = cli(['state', 'nope']);
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr, 'berth-runtime: state "nope": container does not exist\n');
  const kill = cli(['kill', 'nope', 'NOSUCHSIG']);
  assert.equal(kill.status, 1);
  assert.doesNotMatch(kill.stderr, /\n\s+at /);
  const missing = cli(['run', '-b', join(s.dir, 'no-bundle'), 'x1']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^berth-runtime: run "x1": read ".*no-bundle\/config.json": no such file or directory\n$/);
  assert.equal(existsSync(join(s.root, 'x1')), false);
});

test('berth-runtime spec writes a default config.json', () => {
  const dir = join(s.dir, 'spec');
  mkdirSync(dir);
  assert.equal(cli(['spec'], { cwd: dir }).status, 0);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { ociVersion: string; process: { args: string[] } };
  assert.deepEqual(spec.process.args, ['sh']);
  assert.equal(cli(['spec'], { cwd: dir }).status, 1);
  const dir2 = join(s.dir, 'spec-rootless');
  mkdirSync(dir2);
  assert.equal(cli(['spec', '--rootless', '-b', dir2]).status, 0);
  assert.ok((JSON.parse(readFileSync(join(dir2, 'config.json'), 'utf8')) as { linux: { uidMappings: unknown[] } }).linux.uidMappings.length > 0);
});

test('berth-runtime exec -t and run -t relay a monitor-held terminal', () => {
  const id = s.id('tty');
  const bundle = s.bundle(['sleep', '60']);
  assert.equal(spawnSync(bin, ['--root', s.root, 'run', '-d', '-b', bundle, id], { stdio: 'ignore' }).status, 0);
  try {
    const r = cli(['exec', '-t', id, 'sh', '-c', 'tty; exit 3']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/0/);
  } finally {
    cli(['delete', '-f', id]);
  }
  const ttyBundle = s.bundle(['sh', '-c', 'tty; exit 2'], (spec) => {
    spec.process!.terminal = true;
  });
  const run = cli(['run', '-b', ttyBundle, s.id('runtty')]);
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stdout, /\/dev\/pts\/0/);
});

test('berth-runtime run/create/exec --preserve-fds pass fds 3.. into the process and no more', () => {
  const a = join(s.dir, 'fd-a');
  const b = join(s.dir, 'fd-b');
  writeFileSync(a, 'first\n');
  writeFileSync(b, 'second\n');
  const opened: number[] = [];
  // each run gets fds of its own: a shared open file keeps the offset a previous reader left
  const fds = (...paths: string[]): StdioOptions => {
    const list = paths.map((p) => openSync(p, 'r'));
    opened.push(...list);
    return ['ignore', 'pipe', 'pipe', ...list];
  };
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '' };
  const probe = 'cat <&3; cat <&4 2>&1; for n in 3 4 5 6; do [ -e /proc/self/fd/$n ] && echo "fd $n"; done; true';
  const id = s.id('fds');
  try {
    const run = spawnSync(bin, ['--root', s.root, 'run', '--preserve-fds', '2', '-b', s.bundle(['sh', '-c', probe]), s.id('fdrun')], { stdio: fds(a, b, a), encoding: 'utf8', env });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'first\nsecond\nfd 3\nfd 4\n', 'fds 3 and 4 readable, the third fd (5) not passed');

    const one = spawnSync(bin, ['--root', s.root, 'run', '--preserve-fds', '1', '-b', s.bundle(['sh', '-c', probe]), s.id('fdone')], { stdio: fds(a, b), encoding: 'utf8', env });
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /^first\n(.*\n)?fd 3\n$/s);
    assert.doesNotMatch(one.stdout, /second|fd 4/);

    // create keeps the fd in the waiting process until start; exec gets its own
    const createStdio: StdioOptions = ['ignore', 'ignore', 'ignore', ...(fds(b).slice(3) as number[])];
    const created = spawnSync(bin, ['--root', s.root, 'create', '--preserve-fds', '1', '-b', s.bundle(['sh', '-c', 'cat <&3 > /tmp/got; sleep 60']), id], { stdio: createStdio, env });
    assert.equal(created.status, 0);
    assert.equal(cli(['start', id]).status, 0);
    const exec = spawnSync(bin, ['--root', s.root, 'exec', '--preserve-fds', '1', id, 'sh', '-c', 'while [ ! -s /tmp/got ]; do sleep 0.05; done; cat /tmp/got; cat <&3'], { stdio: fds(a), encoding: 'utf8', env });
    assert.equal(exec.status, 0, exec.stderr);
    assert.equal(exec.stdout, 'second\nfirst\n');

    const bad = spawnSync(bin, ['--root', s.root, 'run', '--preserve-fds', 'x', s.id('fdbad')], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--preserve-fds <n>' argument 'x' is invalid\. invalid count "x"/);
  } finally {
    cli(['delete', '-f', id]);
    for (const fd of opened) closeSync(fd);
  }
});
