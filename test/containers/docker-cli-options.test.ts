import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { apiHijack, apiRequest } from '../helpers/api-client.ts';
import { demuxText } from '../helpers/stream-frames.ts';
import { berth, busyboxTar, ok as berthOk } from '../cli/harness.ts';

const dockerCli = '/usr/local/bin/docker';

function docker(d: TestDaemon, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
  delete env['DOCKER_CONTEXT'];
  const r = spawnSync(dockerCli, args, { encoding: 'utf8', env, timeout: 60_000, input: input ?? '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// One daemon for both: stdin through attach, and the docker CLI's namespace, blkio and cp flags.
test('the docker CLI against berthd: stdin of -i containers, namespace sharing, blkio limits, cp through volumes', async (t) => {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing: the docker CLI is expected on this machine`);
  const cleanups: (() => Promise<void>)[] = [];
  const d = await startDaemon({ after: (fn) => cleanups.push(fn) });
  t.after(async () => {
    const ids = docker(d, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(d, ['rm', '-f', ...ids]);
    for (const fn of cleanups) await fn();
  });
  await berthOk(d.host, ['import', '-', 'busybox:latest'], { input: await busyboxTar() });

  await t.test('docker run --pid/--ipc/--uts, --device-read-bps, and docker cp into a named volume', () => {
    const run = (...args: string[]) => {
      const r = docker(d, args);
      assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    run('run', '-d', '--name', 'ns-donor', '--ipc', 'shareable', '-v', 'dockvol:/vol', 'busybox', 'sh', '-c', 'echo shm > /dev/shm/s; echo v > /vol/made; exec sleep 1006');
    for (let i = 0; i < 100 && docker(d, ['exec', 'ns-donor', 'test', '-e', '/vol/made']).status !== 0; i++) spawnSync('sleep', ['0.05']);
    assert.match(run('run', '--rm', '--pid', 'container:ns-donor', 'busybox', 'ps', '-o', 'pid,args'), /^\s*1 sleep 1006$/m);
    assert.equal(run('run', '--rm', '--ipc', 'container:ns-donor', 'busybox', 'cat', '/dev/shm/s'), 'shm\n');
    assert.equal(run('run', '--rm', '--uts', 'host', 'busybox', 'hostname'), `${hostname()}\n`);
    const dev = readFileSync('/sys/block/vda/dev', 'utf8').trim();
    assert.equal(run('run', '--rm', '--device-write-bps', '/dev/vda:2mb', 'busybox', 'cat', '/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device'), `${dev} 2097152\n`);
    assert.equal(run('inspect', '-f', '{{.HostConfig.IpcMode}}', 'ns-donor'), 'shareable\n');
    const src = join(d.dir, 'cp-in.txt');
    writeFileSync(src, 'docker cp\n');
    run('cp', src, 'ns-donor:/vol/cp-in.txt');
    assert.equal(run('exec', 'ns-donor', 'cat', '/vol/cp-in.txt'), 'docker cp\n');
    run('cp', 'ns-donor:/vol/made', join(d.dir, 'made-out'));
    assert.equal(readFileSync(join(d.dir, 'made-out'), 'utf8'), 'v\n');
    run('rm', '-f', '-v', 'ns-donor');
  });

  await t.test('stdin reaches -i containers: run -i, start -ai, attach before start', async () => {
    for (let i = 0; i < 2; i++) {
      const r = docker(d, ['run', '-i', '--rm', 'busybox', 'cat'], `hi ${i}\n`);
      assert.equal(r.stdout, `hi ${i}\n`, r.stderr);
      assert.equal(r.status, 0);
    }
    const counted = docker(d, ['run', '-i', '--rm', 'busybox', 'wc', '-c'], 'x'.repeat(100_000));
    assert.equal(counted.stdout.trim(), '100000', counted.stderr);
    // a reader that starts late: the end of stdin must not overtake bytes still on their way
    for (const [name, run] of [
      ['docker', () => docker(d, ['run', '-i', '--rm', 'busybox', 'sh', '-c', 'sleep 1; wc -c'], 'y'.repeat(1 << 20)).stdout],
      ['berth', () => berthOk(d.host, ['run', '-i', '--rm', 'busybox', 'sh', '-c', 'sleep 1; wc -c'], { input: 'y'.repeat(1 << 20) })],
    ] as const) {
      assert.equal((await run()).trim(), String(1 << 20), `${name} run -i: every byte of stdin reached the container`);
    }

    docker(d, ['create', '-i', '--name', 'ai-docker', 'busybox', 'cat']);
    const ai = docker(d, ['start', '-ai', 'ai-docker'], 'via start -ai\n');
    assert.equal(ai.stdout, 'via start -ai\n', ai.stderr);

    assert.equal(await berthOk(d.host, ['run', '-i', '--rm', 'busybox', 'cat'], { input: 'berth run -i\n' }), 'berth run -i\n');
    await berthOk(d.host, ['create', '-i', '--name', 'ai-berth', 'busybox', 'cat']);
    const bai = await berth(d.host, ['start', '-ai', 'ai-berth'], { input: 'berth start -ai\n' });
    assert.equal(bai.stdout, 'berth start -ai\n', bai.stderr);

    // The old way: attach with stdin=1 to a created container, then start it, then send stdin and close it.
    const created = await apiRequest(d.socket, '/v1.41/containers/create?name=old-attach', {
      method: 'POST',
      body: { Image: 'busybox', Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true },
    });
    assert.equal(created.status, 201, created.text());
    const conn = await apiHijack(d.socket, '/v1.41/containers/old-attach/attach?stream=1&stdin=1&stdout=1&stderr=1');
    assert.equal(conn.status, 101, conn.headerText);
    const chunks: Buffer[] = [conn.head];
    conn.socket.on('data', (b: Buffer) => chunks.push(b));
    const closed = new Promise<void>((r) => conn.socket.once('close', () => r()));
    conn.socket.resume();
    const started = await apiRequest(d.socket, '/v1.41/containers/old-attach/start', { method: 'POST' });
    assert.equal(started.status, 204, started.text());
    conn.socket.end('old style\n');
    await closed;
    assert.equal(demuxText(Buffer.concat(chunks)), 'old style\n');
    const waited = await apiRequest(d.socket, '/v1.41/containers/old-attach/wait', { method: 'POST' });
    assert.equal(waited.json<{ StatusCode: number }>().StatusCode, 0);
  });
});
