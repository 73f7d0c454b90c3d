import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, readlinkSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Scratch } from './helpers.ts';

const s = new Scratch('sec');
after(() => s.remove());

test('no fd of the runtime reaches the container process', async () => {
  const { out, exit } = await s.run(['ls', '/proc/self/fd']);
  assert.equal(exit.exitCode, 0);
  // 0-2 and the directory ls itself opened
  assert.deepEqual(out.trim().split(/\s+/).map(Number).filter((n) => n < 3), [0, 1, 2]);
  assert.ok(out.trim().split(/\s+/).length <= 4, out);
});

test('a mount target symlinked out of the rootfs stays inside it', async () => {
  const hostDir = join(s.dir, 'host-target');
  mkdirSync(hostDir);
  const link = join(s.rootfs, 'escape');
  symlinkSync(hostDir, link);
  try {
    const { out, exit } = await s.run(['sh', '-c', 'touch /escape/inside && ls /escape'], (spec) => {
      spec.mounts!.push({ destination: '/escape', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] });
    });
    assert.equal(exit.exitCode, 0, out);
    assert.match(out, /inside/);
    // the tmpfs landed on <rootfs><hostDir> (inside the container's /tmp here), never on the host directory
    assert.deepEqual(readdirSync(hostDir), []);
  } finally {
    readlinkSync(link);
  }
});

test('sysctl, domainname, umask and oomScoreAdj are applied', async () => {
  const { out, exit } = await s.run(['sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/domainname; umask; cat /proc/self/oom_score_adj'], (spec) => {
    spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    spec.domainname = 'example.test';
    spec.process!.user.umask = 0o077;
    spec.process!.oomScoreAdj = 500;
  });
  assert.equal(exit.exitCode, 0, out);
  assert.deepEqual(out.trim().split('\n'), ['1', 'example.test', '0077', '500']);
});

test('a container joins namespaces given by path', async () => {
  const rt = s.runtime;
  const a = s.id('nsa');
  const { state } = await rt.run(a, { bundle: s.bundle(['sleep', '60']), stdio: { mode: 'null' }, detach: true });
  try {
    const { out, exit } = await s.run(['sh', '-c', 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts; hostname'], (spec) => {
      spec.linux!.namespaces = spec.linux!.namespaces!.map((n) =>
        n.type === 'network' || n.type === 'uts' ? { type: n.type, path: `/proc/${state.pid}/ns/${n.type === 'network' ? 'net' : 'uts'}` } : n,
      );
      delete spec.hostname;
    });
    assert.equal(exit.exitCode, 0, out);
    const lines = out.trim().split('\n');
    assert.equal(lines[0], readlinkSync(`/proc/${state.pid}/ns/net`));
    assert.equal(lines[1], readlinkSync(`/proc/${state.pid}/ns/uts`));
    assert.equal(lines[2], 'berth-test');
  } finally {
    await rt.delete(a, { force: true });
  }
});

test('exec with log stdio is monitored like the container: log, exit file, attach', async () => {
  const rt = s.runtime;
  const id = s.id('execlog');
  await rt.run(id, { bundle: s.bundle(['sleep', '60']), stdio: { mode: 'null' }, detach: true });
  try {
    const logPath = join(s.dir, `${id}.exec.log`);
    const res = await rt.exec(id, {
      execId: 'e1',
      process: { args: ['sh', '-c', 'echo one; echo two >&2; exit 5'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin'] },
      stdio: { mode: 'log', logPath },
      waitForStart: true,
    });
    const sock = await rt.attach(id, { execId: 'e1' });
    const frames: Buffer[] = [];
    sock.on('data', (d: Buffer) => frames.push(d));
    await rt.startExec(id, 'e1');
    const exit = await res.exit;
    await new Promise((r) => sock.on('close', r));
    const all = Buffer.concat(frames);
    const got: string[] = [];
    for (let o = 0; o + 8 <= all.length; o += 8 + all.readUInt32BE(o + 4)) got.push(`${all[o]}:${all.subarray(o + 8, o + 8 + all.readUInt32BE(o + 4)).toString()}`);
    assert.deepEqual(got.sort(), ['1:one\n', '2:two\n']);
    assert.equal(exit.exitCode, 5);
    const entries = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { log: string; stream: string });
    assert.deepEqual(entries.map((e) => `${e.stream}:${e.log}`).sort(), ['stderr:two\n', 'stdout:one\n']);
    assert.equal((JSON.parse(readFileSync(rt.paths(id, 'e1').exitFile, 'utf8')) as { exitCode: number }).exitCode, 5);
    await rt.deleteExec(id, 'e1');
    assert.equal(existsSync(rt.paths(id, 'e1').dir), false);
  } finally {
    await rt.delete(id, { force: true });
  }
});

test('the json-file log rotates at max-size keeping max-file files', async () => {
  const rt = s.runtime;
  const id = s.id('rotate');
  const logPath = join(s.dir, `${id}.log`);
  const bundle = s.bundle(['sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done']);
  await rt.run(id, { bundle, stdio: { mode: 'log', logPath, logMaxSize: 4096, logMaxFiles: 3 } });
  await rt.delete(id);
  const files = readdirSync(s.dir).filter((f) => f.startsWith(`${id}.log`)).sort();
  assert.deepEqual(files, [`${id}.log`, `${id}.log.1`, `${id}.log.2`]);
  for (const f of files) assert.ok(readFileSync(join(s.dir, f)).length <= 4096 + 200, f);
  const last = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { log: string }).log);
  assert.equal(last.at(-1), 'line-199-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n');
});

test('stats reads the container cgroup', async () => {
  const rt = s.runtime;
  const id = s.id('stats');
  await rt.run(id, { bundle: s.bundle(['sleep', '60'], (spec) => {
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } };
  }), stdio: { mode: 'null' }, detach: true });
  try {
    const st = await rt.stats(id);
    assert.equal(st.memory?.limit, 64 * 1024 * 1024);
    assert.equal(st.pids?.current, 1);
  } finally {
    await rt.delete(id, { force: true });
  }
  void openSync;
  void closeSync;
});
