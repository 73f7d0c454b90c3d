import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';

const dockerCli = '/usr/local/bin/docker';

function docker(d: TestDaemon, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
  delete env['DOCKER_CONTEXT'];
  const r = spawnSync(dockerCli, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(d: TestDaemon, ...args: string[]): string {
  const r = docker(d, ...args);
  assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** One private berthd (from the sources) with busybox:latest imported; its containers go first at cleanup. */
async function daemonWithBusybox(t: { after: (fn: () => Promise<void>) => void }): Promise<TestDaemon> {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing: the docker CLI is expected on this machine`);
  const cleanups: (() => Promise<void>)[] = [];
  const d = await startDaemon({ after: (fn) => cleanups.push(fn) });
  t.after(async () => {
    const ids = docker(d, 'ps', '-aq').stdout.split('\n').filter(Boolean);
    if (ids.length) docker(d, 'rm', '-f', ...ids);
    for (const fn of cleanups) await fn();
  });
  const dir = mkdtempSync(join(tmpdir(), 'berth-containers-rootfs-'));
  try {
    makeBusyboxRootfs(join(dir, 'rootfs'));
    const tarFile = join(dir, 'rootfs.tar');
    const tr = spawnSync('tar', ['-C', join(dir, 'rootfs'), '-cf', tarFile, '.']);
    assert.equal(tr.status, 0, String(tr.stderr));
    ok(d, 'import', '--change', 'CMD ["sh"]', tarFile, 'busybox:latest');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return d;
}

interface StatsWire {
  read: string;
  preread: string;
  pids_stats: { current?: number };
  memory_stats: { usage?: number; limit?: number };
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
}

function assertRealStats(s: StatsWire, what: string): void {
  assert.notEqual(s.read, '0001-01-01T00:00:00Z', `${what}: read`);
  assert.ok(!Number.isNaN(Date.parse(s.read)), `${what}: read ${s.read}`);
  assert.ok((s.memory_stats.usage ?? 0) > 0, `${what}: memory usage ${JSON.stringify(s.memory_stats)}`);
  assert.ok((s.memory_stats.limit ?? 0) > 0, `${what}: memory limit`);
  assert.ok(s.cpu_stats.cpu_usage.total_usage > 0, `${what}: cpu total usage`);
  assert.ok((s.cpu_stats.system_cpu_usage ?? 0) > 0, `${what}: system cpu usage`);
  assert.ok((s.cpu_stats.online_cpus ?? 0) >= 1, `${what}: online cpus`);
  assert.ok((s.pids_stats.current ?? 0) >= 1, `${what}: pids`);
}

test('berthd container API: stats, export errors, command quoting', async (t) => {
  const d = await daemonWithBusybox(t);
  const sfx = `c${process.pid}`;

  await t.test('stats of a running container has real cgroup numbers, one-shot and streaming', async () => {
    const name = `stats-${sfx}`;
    ok(d, 'run', '-d', '--name', name, 'busybox', 'sh', '-c', 'while :; do :; done');
    const one = await d.request(`/containers/${name}/stats?stream=false`);
    assert.equal(one.status, 200, one.text());
    const s = one.json<StatsWire>();
    assertRealStats(s, 'stream=false');
    assert.notEqual(s.preread, '0001-01-01T00:00:00Z', 'stream=false samples twice (preread)');
    assert.ok(s.precpu_stats.cpu_usage.total_usage > 0, 'stream=false precpu');
    const shot = (await d.request(`/containers/${name}/stats?stream=false&one-shot=true`)).json<StatsWire>();
    assertRealStats(shot, 'one-shot');
    assert.equal(ok(d, 'ps', '--no-trunc', '--filter', `name=${name}`, '--format', '{{.Command}}'), `"sh -c 'while :; do :; done'"\n`);
    const cli = ok(d, 'stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', name);
    const m = /^(\S+) ([\d.]+)% (\S+) \/ (\S+) (\d+)$/m.exec(cli);
    assert.ok(m, cli);
    assert.equal(m[1], name);
    assert.notEqual(m[3], '0B', cli);
    assert.ok(Number(m[5]) >= 1, cli);
    // Streaming: the daemon writes one JSON object per second; read the first two.
    const { request } = await import('node:http');
    const lines = await new Promise<string[]>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path: `/containers/${name}/stats`, method: 'GET' }, (res) => {
        let buf = '';
        res.on('data', (b: Buffer) => {
          buf += b.toString();
          const got = buf.split('\n').filter(Boolean);
          if (got.length >= 2) {
            req.destroy();
            resolve(got.slice(0, 2));
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', reject);
      req.end();
    });
    const [first, second] = lines.map((l) => JSON.parse(l) as StatsWire);
    assertRealStats(first!, 'stream #1');
    assertRealStats(second!, 'stream #2');
    assert.equal(second!.preread, first!.read);
  });

  await t.test('export and archive survive a client that goes away mid-stream; export errors are clean', async () => {
    const name = `exp-${sfx}`;
    ok(d, 'run', '-d', '--name', name, 'busybox', 'sh', '-c', 'head -c 67108864 /dev/zero > /big; touch /ready; sleep 300');
    for (let i = 0; i < 100 && docker(d, 'exec', name, 'test', '-e', '/ready').status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const { request } = await import('node:http');
    const readSome = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ socketPath: d.socket, path, method: 'GET' }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve(res.statusCode ?? 0);
          });
          res.on('error', () => undefined);
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end();
      });
    for (let i = 0; i < 3; i++) {
      assert.equal(await readSome(`/containers/${name}/export`), 200);
      assert.equal(await readSome(`/containers/${name}/archive?path=/big`), 200);
      await new Promise((r) => setTimeout(r, 200));
      const ping = await d.request('/_ping');
      assert.equal(ping.status, 200, `daemon alive after aborted export/archive #${i}`);
    }
    assert.equal(d.process.exitCode, null, 'berthd is still running');
    assert.doesNotMatch(d.log(), /unpipe is not a function|uncaught/i);
    // A whole export still works after the aborted ones.
    const whole = await d.request(`/containers/${name}/export`);
    assert.equal(whole.status, 200);
    assert.ok(whole.body.length > 64 << 20);
    // Errors before the first byte are an ordinary JSON error, not a broken stream.
    const missing = await d.request(`/containers/no-such-${sfx}/export`);
    assert.equal(missing.status, 404);
    assert.match(missing.json<{ message: string }>().message, /no such container/i);
  });

  await t.test('docker exec -i delivers stdin that ends at once, every time', async () => {
    const name = `execin-${sfx}`;
    ok(d, 'run', '-d', '--name', name, 'busybox', 'sleep', '300');
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
    delete env['DOCKER_CONTEXT'];
    for (let i = 0; i < 10; i++) {
      const r = spawnSync(dockerCli, ['exec', '-i', name, 'cat'], { input: `abc ${i}`, encoding: 'utf8', env, timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `abc ${i}`, `attempt ${i}`);
    }
  });

  await t.test('--device maps a host device node and allows it in the devices cgroup', async () => {
    assert.ok(existsSync('/dev/fuse'), '/dev/fuse is needed on this machine for the --device test');
    const out = ok(d, 'run', '--rm', '--device', '/dev/fuse', 'busybox', 'sh', '-c', "stat -c '%F %t %T' /dev/fuse && exec 3<>/dev/fuse && echo opened");
    assert.equal(out, 'character special file a e5\nopened\n');
    const renamed = ok(d, 'run', '--rm', '--device', '/dev/fuse:/dev/myfuse:r', 'busybox', 'sh', '-c', "stat -c '%t %T' /dev/myfuse; test -e /dev/fuse || echo no-fuse; (exec 3</dev/myfuse) && echo can-read; (exec 3<>/dev/myfuse) 2>/dev/null || echo no-write");
    assert.equal(renamed, 'a e5\nno-fuse\ncan-read\nno-write\n');
    const without = docker(d, 'run', '--rm', 'busybox', 'test', '-e', '/dev/fuse');
    assert.equal(without.status, 1);
    const missing = docker(d, 'run', '--rm', '--device', '/dev/no-such-device', 'busybox', 'true');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/);
  });
});

test('berthd applies on-failure after a restart to containers that failed while it was down', async (t) => {
  // The second daemon runs on the first one's directories: it is stopped (its containers
  // removed) before the first one's cleanup deletes them.
  let second: TestDaemon | undefined;
  const name = `onfail-${process.pid}`;
  const first = await daemonWithBusybox({
    after: (fn) =>
      t.after(async () => {
        if (second) {
          docker(second, 'rm', '-f', name);
          await second.stop();
        }
        await fn();
      }),
  });
  ok(first, 'run', '-d', '--name', name, '--restart', 'on-failure:1', 'busybox', 'sh', '-c', 'sleep 2; exit 3');
  await first.stop();
  await new Promise((r) => setTimeout(r, 3000));
  second = await startDaemon({ after: () => undefined }, { dir: first.dir });
  const d = second;
  let count = '';
  for (let i = 0; i < 100; i++) {
    count = ok(d, 'inspect', '--format', '{{.RestartCount}}', name).trim();
    if (count === '1') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(count, '1', d.log().slice(-2000));
  assert.match(ok(d, 'inspect', '--format', '{{.State.ExitCode}}', name), /^(0|3)\n$/);
});
