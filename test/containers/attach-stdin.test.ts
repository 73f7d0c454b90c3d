import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { apiHijack, apiRequest } from '../helpers/api-client.ts';
import { berth, busyboxTar, ok as berthOk } from '../cli/harness.ts';

const dockerCli = '/usr/local/bin/docker';

function docker(d: TestDaemon, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
  delete env['DOCKER_CONTEXT'];
  const r = spawnSync(dockerCli, args, { encoding: 'utf8', env, timeout: 60_000, input: input ?? '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Demultiplexes docker's stdout/stderr stream framing. */
function demux(all: Buffer): string {
  let s = '';
  for (let o = 0; o + 8 <= all.length; ) {
    const n = all.readUInt32BE(o + 4);
    s += all.subarray(o + 8, o + 8 + n).toString();
    o += 8 + n;
  }
  return s;
}

test('stdin of a container created with -i reaches it: docker and berth run -i, start -ai, attach before start', async (t) => {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing: the docker CLI is expected on this machine`);
  const cleanups: (() => Promise<void>)[] = [];
  const d = await startDaemon({ after: (fn) => cleanups.push(fn) });
  t.after(async () => {
    const ids = docker(d, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(d, ['rm', '-f', ...ids]);
    for (const fn of cleanups) await fn();
  });
  await berthOk(d.host, ['import', '-', 'busybox:latest'], { input: await busyboxTar() });

  for (let i = 0; i < 2; i++) {
    const r = docker(d, ['run', '-i', '--rm', 'busybox', 'cat'], `hi ${i}\n`);
    assert.equal(r.stdout, `hi ${i}\n`, r.stderr);
    assert.equal(r.status, 0);
  }
  const counted = docker(d, ['run', '-i', '--rm', 'busybox', 'wc', '-c'], 'x'.repeat(100_000));
  assert.equal(counted.stdout.trim(), '100000', counted.stderr);

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
  assert.equal(demux(Buffer.concat(chunks)), 'old style\n');
  const waited = await apiRequest(d.socket, '/v1.41/containers/old-attach/wait', { method: 'POST' });
  assert.equal(waited.json<{ StatusCode: number }>().StatusCode, 0);
});
