import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';
import { ndjsonLines } from '../helpers/api-client.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';

function rootfsTar(d: TestDaemon): string {
  const dir = join(d.dir, 'rootfs');
  mkdirSync(dir, { recursive: true });
  makeBusyboxRootfs(dir);
  writeFileSync(join(dir, 'etc', 'marker'), 'berth-image-test\n');
  const tar = join(d.dir, 'rootfs.tar');
  const r = spawnSync('tar', ['-C', dir, '-cf', tar, '.']);
  assert.equal(r.status, 0, r.stderr?.toString());
  return tar;
}

function docker(d: TestDaemon, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const r = spawnSync('/usr/local/bin/docker', args, { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('image API: import from the request body, list, inspect, history, tag, save, rmi, load', async (t) => {
  const d = await startDaemon(t);
  const tar = rootfsTar(d);
  const imp = await d.request('/v1.45/images/create?fromSrc=-&repo=bb&tag=1&message=from-test&changes=' + encodeURIComponent('CMD ["cat","/etc/marker"]'), {
    method: 'POST',
    body: createReadStream(tar),
    headers: { 'Content-Type': 'application/x-tar' },
  });
  assert.equal(imp.status, 200);
  const id = ndjsonLines(imp).at(-1).status as string;
  assert.match(id, /^sha256:[0-9a-f]{64}$/);

  const list = (await d.request('/v1.45/images/json')).json();
  assert.equal(list.length, 1);
  assert.equal(list[0].Id, id);
  assert.deepEqual(list[0].RepoTags, ['bb:1']);
  assert.ok(list[0].Size > 1000);

  const inspect = (await d.request('/v1.45/images/bb:1/json')).json();
  assert.equal(inspect.Id, id);
  assert.deepEqual(inspect.Config.Cmd, ['cat', '/etc/marker']);
  assert.equal(inspect.RootFS.Type, 'layers');
  assert.equal(inspect.RootFS.Layers.length, 1);
  const history = (await d.request('/v1.45/images/bb:1/history')).json();
  assert.equal(history[0].Comment, 'from-test');

  assert.equal((await d.request('/v1.45/images/bb:1/tag?repo=localhost:5000/team/bb&tag=2', { method: 'POST' })).status, 201);
  const byPath = await d.request('/v1.45/images/localhost:5000/team/bb:2/json');
  assert.equal(byPath.status, 200);
  assert.equal(byPath.json().Id, id);
  const missing = await d.request('/v1.45/images/nosuch:tag/json');
  assert.equal(missing.status, 404);
  assert.match(missing.json().message, /nosuch/i);

  const saved = await d.request('/v1.45/images/get?names=bb:1');
  assert.equal(saved.status, 200);
  assert.equal(saved.headers['content-type'], 'application/x-tar');
  const archive = join(d.dir, 'saved.tar');
  writeFileSync(archive, saved.body);
  const listing = spawnSync('tar', ['-tf', archive], { encoding: 'utf8' }).stdout;
  assert.match(listing, /manifest\.json/);

  const rm = await d.request('/v1.45/images/bb:1', { method: 'DELETE' });
  assert.deepEqual(rm.json(), [{ Untagged: 'bb:1' }]);
  const rm2 = (await d.request('/v1.45/images/localhost:5000/team/bb:2', { method: 'DELETE' })).json();
  assert.ok(rm2.some((x: any) => x.Deleted === id), JSON.stringify(rm2));
  assert.deepEqual((await d.request('/v1.45/images/json')).json(), []);

  const load = await d.request('/v1.45/images/load', { method: 'POST', body: readFileSync(archive), headers: { 'Content-Type': 'application/x-tar' } });
  assert.equal(load.status, 200);
  assert.deepEqual(ndjsonLines(load), [{ stream: 'Loaded image: bb:1\n' }]);
  assert.equal((await d.request('/v1.45/images/bb:1/json')).json().Id, id);

  const noSource = await d.request('/v1.45/images/create', { method: 'POST' });
  assert.equal(noSource.status, 400);
  // the change is refused before the body is read: a small body, so the client is not still
  // writing a large one when the daemon answers and the connection goes away (EPIPE)
  const badChange = await d.request('/v1.45/images/create?fromSrc=-&changes=' + encodeURIComponent('FROM scratch'), { method: 'POST', body: Buffer.alloc(1024) });
  assert.match(ndjsonLines(badChange).at(-1)?.error ?? badChange.text(), /FROM is not a valid change command/);
});

test('docker CLI against berthd: import, run, commit, images, rmi, system df', async (t) => {
  const d = await startDaemon(t);
  const tar = rootfsTar(d);
  const imp = docker(d, 'import', tar, 'busybox:latest');
  assert.equal(imp.status, 0, imp.stderr);
  const run = docker(d, 'run', '--rm', 'busybox', 'cat', '/etc/marker');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'berth-image-test\n');

  const c = docker(d, 'run', '-d', '--name', 'tocommit', 'busybox', 'sh', '-c', 'echo changed > /etc/marker; sleep 60');
  assert.equal(c.status, 0, c.stderr);
  for (let i = 0; i < 100; i++) {
    if (docker(d, 'exec', 'tocommit', 'cat', '/etc/marker').stdout === 'changed\n') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const commit = docker(d, 'commit', '-c', 'CMD ["cat","/etc/marker"]', '-m', 'snap', 'tocommit', 'committed:v1');
  assert.equal(commit.status, 0, commit.stderr);
  assert.match(commit.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  const after = docker(d, 'run', '--rm', 'committed:v1');
  assert.equal(after.stdout, 'changed\n', after.stderr);
  assert.equal(docker(d, 'rm', '-f', 'tocommit').status, 0);

  const images = docker(d, 'images', '--format', '{{.Repository}}:{{.Tag}}');
  assert.deepEqual(images.stdout.trim().split('\n').sort(), ['busybox:latest', 'committed:v1']);
  const hist = docker(d, 'history', '--format', '{{.Comment}}', 'committed:v1');
  assert.equal(hist.stdout.trim().split('\n')[0], 'snap');
  const df = docker(d, 'system', 'df', '--format', '{{.Type}} {{.TotalCount}}');
  assert.match(df.stdout, /Images 2/);
  const rmi = docker(d, 'rmi', 'committed:v1');
  assert.equal(rmi.status, 0, rmi.stderr);
  assert.match(rmi.stdout, /Untagged: committed:v1/);
  const gone = docker(d, 'image', 'inspect', 'committed:v1');
  assert.equal(gone.status, 1);
});

test('volumes in use by a container are refused removal; rm -v takes the anonymous ones', async (t) => {
  const d = await startDaemon(t);
  const tar = rootfsTar(d);
  assert.equal(docker(d, 'import', tar, 'busybox:latest').status, 0);
  const run = docker(d, 'run', '-d', '--name', 'user', '-v', 'keep:/data', '-v', '/anon', 'busybox', 'sh', '-c', 'echo kept > /data/f; sleep 60');
  assert.equal(run.status, 0, run.stderr);
  const inspect = JSON.parse(docker(d, 'inspect', 'user').stdout)[0];
  const anon = inspect.Mounts.find((m: any) => m.Destination === '/anon')?.Name as string;
  assert.match(anon, /^[0-9a-f]{64}$/);
  const rm = docker(d, 'volume', 'rm', 'keep');
  assert.equal(rm.status, 1);
  assert.match(rm.stderr, /volume is in use/);
  const dangling = docker(d, 'volume', 'ls', '-q', '--filter', 'dangling=true');
  assert.equal(dangling.stdout.trim(), '');
  const df = (await d.request('/v1.45/system/df?type=volume')).json();
  assert.equal(df.Volumes.find((v: any) => v.Name === 'keep')?.UsageData.RefCount, 1);
  assert.equal(docker(d, 'rm', '-f', '-v', 'user').status, 0);
  const left = docker(d, 'volume', 'ls', '-q').stdout.trim().split('\n');
  assert.deepEqual(left, ['keep'], 'the anonymous volume went with the container, the named one stays');
  assert.equal(docker(d, 'volume', 'rm', 'keep').status, 0);
});

test('image API: import fetches fromSrc URLs and reports unreachable ones', async (t) => {
  const d = await startDaemon(t);
  const tar = rootfsTar(d);
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.url === '/rootfs.tar') createReadStream(tar).pipe(res);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  const url = encodeURIComponent(`http://127.0.0.1:${port}/rootfs.tar`);
  const r = await d.request(`/v1.45/images/create?fromSrc=${url}&repo=fromurl`, { method: 'POST' });
  const lines = ndjsonLines(r);
  assert.match(lines.at(-1).status, /^sha256:[0-9a-f]{64}$/, r.text());
  assert.deepEqual((await d.request('/v1.45/images/fromurl/json')).json().RepoTags, ['fromurl:latest']);
  const missing = await d.request(`/v1.45/images/create?fromSrc=${encodeURIComponent(`http://127.0.0.1:${port}/nothing`)}`, { method: 'POST' });
  // The progress stream has started by then: the failure is its last line, as docker clients expect.
  assert.match(ndjsonLines(missing).at(-1).error, /import: fetch http:\/\/127\.0\.0\.1:\d+\/nothing: 404/);
});
