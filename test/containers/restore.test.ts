import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { makeHarness, type Harness } from './harness.ts';
import { demuxText } from '../helpers/stream-frames.ts';
import { attachContainer, readLogs } from '../../src/containers/index.ts';
import { nullLogger } from '../../src/lib/index.ts';

const until = async (what: string, pred: () => boolean, ms = 20000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

function fakeConn() {
  const out: Buffer[] = [];
  const input = new PassThrough();
  const conn = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      cb();
    },
    final(cb) {
      cb();
    },
  });
  input.on('data', (b) => conn.push(b));
  const text = () => demuxText(Buffer.concat(out));
  return { conn, input, text };
}

async function logText(path: string): Promise<string> {
  let s = '';
  for await (const e of readLogs(path)) s += e.line.toString();
  return s;
}

test('attach before start sees all output and stdin reaches the container (docker run -i)', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'echo first; read line; echo "got $line"'], openStdin: true, stdinOnce: true, attachStdin: true }) });
  const { conn, input, text } = fakeConn();
  const attached = attachContainer(h.svc, id, { stdin: true, stdout: true, stderr: true, logs: false, stream: true }, conn, nullLogger);
  const exited = h.svc.wait(id, 'next-exit');
  await new Promise((r) => setTimeout(r, 50));
  await h.svc.start(id);
  input.write('hello\n');
  assert.equal((await exited).exitCode, 0);
  await attached;
  assert.equal(text(), 'first\ngot hello\n');
});

test('live restore: containers keep running across a daemon restart, exits meanwhile are recorded', async (t) => {
  let h: Harness = makeHarness();
  t.after(() => h.close());
  const long = await h.svc.create({ name: 'long', config: h.config({ cmd: ['sh', '-c', 'echo before; sleep 1000'] }) });
  const short = await h.svc.create({ name: 'short', config: h.config({ cmd: ['sh', '-c', 'sleep 1; exit 9'] }) });
  const always = await h.svc.create({ name: 'always', config: h.config({ cmd: ['sh', '-c', 'sleep 1; exit 1'] }), hostConfig: h.hostConfig({ restartPolicy: { name: 'always', maximumRetryCount: 0 } }) });
  for (const c of [long, short, always]) await h.svc.start(c.id);
  const pid = h.svc.get('long').state.pid;
  // The daemon goes away without stopping anything (as after kill -9).
  h.svc.close();
  h.db.close();
  await new Promise((r) => setTimeout(r, 2000));
  h = h.reopen();
  await h.svc.restore();
  const l = h.svc.get('long');
  assert.equal(l.state.status, 'running');
  assert.equal(l.state.pid, pid);
  assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], 'sleep');
  const s = h.svc.get('short');
  assert.equal(s.state.status, 'exited');
  assert.equal(s.state.exitCode, 9);
  await until('always restarted', () => h.svc.get('always').restartCount >= 1);
  assert.equal(await logText(l.logPath), 'before\n');
  // Still attachable and manageable after the restart.
  const execId = h.execs.create(l.id, { cmd: ['echo', 'after'], env: [], user: '', workingDir: '', tty: false, privileged: false, attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: '' });
  const { conn, text } = fakeConn();
  await h.execs.start(execId, conn);
  assert.equal(text(), 'after\n');
  await h.svc.stop(l.id, { timeout: 1 });
  assert.equal(h.svc.get(l.id).state.status, 'exited');
});

test('50 parallel run --rm: all succeed, nothing leaked', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const n = 50;
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const { id } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', `echo ${i}`] }), hostConfig: h.hostConfig({ autoRemove: true }) });
      const removed = h.svc.wait(id, 'removed');
      await h.svc.start(id);
      return removed;
    }),
  );
  assert.equal(results.length, n);
  assert.ok(results.every((r) => r.exitCode === 0));
  assert.equal(h.svc.list().length, 0);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(h.root));
  assert.deepEqual(mounts, [], 'no mounts left');
  // removal deletes the directories in the background, after the container is reported removed
  assert.deepEqual(await settledDir(`${h.root}/data/containers`), [], 'no container dirs left');
  const rt = `${h.root}/rt`;
  assert.deepEqual(existsSync(rt) ? readdirSync(rt).filter((x) => !x.startsWith('.')) : [], [], 'no runtime state left');
  const cg = `/sys/fs/cgroup/memory/berth-test-${process.pid}`;
  const left = existsSync(cg) ? readdirSync(cg, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
  assert.deepEqual(left, [], 'no cgroups left');
  const monitors = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(h.root);
    } catch {
      return false;
    }
  });
  assert.deepEqual(monitors, [], 'no monitors left');
});

test('a TTY container attached before start gets raw pty output', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'tty; echo "term=$TERM"'], tty: true, openStdin: true }) });
  const out: Buffer[] = [];
  const conn = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      cb();
    },
  });
  const attached = attachContainer(h.svc, id, { stdin: true, stdout: true, stderr: true, logs: false, stream: true }, conn, nullLogger);
  const exited = h.svc.wait(id, 'next-exit');
  await new Promise((r) => setTimeout(r, 50));
  await h.svc.start(id);
  assert.equal((await exited).exitCode, 0);
  await attached;
  const text = Buffer.concat(out).toString();
  assert.match(text, /^\/dev\/pts\/\d+\r\nterm=xterm\r\n$/);
});

/** The entries of `dir` once it is empty or 10 s have passed. */
async function settledDir(dir: string): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = readdirSync(dir);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
