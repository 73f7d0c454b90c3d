import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { htpasswdLine } from '../../src/registry/server/index.ts';
import { berth, busyboxTar, ok, root } from '../cli/harness.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';

const dockerBin = '/usr/local/bin/docker';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts bin/berth-registry (from source) on 127.0.0.1 and waits for /v2/ to answer. */
async function startBerthRegistry(t: { after: (fn: () => Promise<void>) => void }, dir: string, extra: string[] = []): Promise<string> {
  const port = await freePort();
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cmd/berth-registry.ts'), 'serve', '--addr', `127.0.0.1:${port}`, '--root', dir, ...extra],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (c) => (log += c));
  const exited = new Promise((r) => child.once('exit', r));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  for (let i = 0; ; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
    if (r && (r.status === 200 || r.status === 401)) break;
    if (i > 300) throw new Error(`berth-registry did not start: ${log}`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
  return `127.0.0.1:${port}`;
}

function docker(d: TestDaemon, config: string, args: string[], input?: Buffer) {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: config };
  delete env['NODE_EXTRA_CA_CERTS'];
  const r = spawnSync(dockerBin, args, { encoding: 'utf8', env, timeout: 120_000, ...(input ? { input } : {}) });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', all: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function count(text: string, re: RegExp): number {
  return [...text.matchAll(new RegExp(re.source, 'g'))].length;
}

test('docker push, pull, run-pulls and login through berthd against berth-registry', async (t) => {
  assert.ok(existsSync(dockerBin), `${dockerBin} is missing: the docker CLI drives this test`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-dist-ship-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'docker-config');
  const reg = await startBerthRegistry(t, join(dir, 'registry'));
  const d = await startDaemon(t);
  const h = d.host;

  const local = `dist-src:${process.pid}`;
  await ok(h, ['import', '-', local], { input: await busyboxTar() });
  const ref = `${reg}/ship/busybox:1`;
  assert.equal(docker(d, config, ['tag', local, ref]).status, 0);

  // docker push: docker's progress shapes end to end.
  const push = docker(d, config, ['push', ref]);
  assert.equal(push.status, 0, push.all);
  assert.match(push.stdout, new RegExp(`The push refers to repository \\[${reg.replace(/\./g, '\\.')}/ship/busybox\\]`));
  assert.match(push.stdout, /: Pushed\n/);
  assert.match(push.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+/);
  const again = docker(d, config, ['push', ref]);
  assert.equal(again.status, 0, again.all);
  assert.match(again.stdout, /: Layer already exists\n/);
  // Another repository of the same registry: the layer is mounted, not uploaded again.
  const other = `${reg}/other/busybox:2`;
  assert.equal(docker(d, config, ['tag', local, other]).status, 0);
  const mount = docker(d, config, ['push', other]);
  assert.equal(mount.status, 0, mount.all);
  assert.match(mount.stdout, /: Mounted from ship\/busybox\n/);
  const missing = docker(d, config, ['push', `${reg}/ship/nothing:1`]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/ship\/nothing/);

  // rmi every name, then docker pull: each progress line once, the Status line docker prints.
  for (const n of [ref, other, local]) assert.equal(docker(d, config, ['rmi', n]).status, 0);
  const pull = docker(d, config, ['pull', ref]);
  assert.equal(pull.status, 0, pull.all);
  assert.equal(count(pull.stdout, /: Pull complete\n/), 1, pull.stdout);
  assert.equal(count(pull.stdout, /Digest: sha256:[0-9a-f]{64}\n/), 1, pull.stdout);
  assert.equal(count(pull.stdout, /Status: /), 1, pull.stdout);
  assert.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${ref.replace(/\./g, '\\.')}\n`));
  const upToDate = docker(d, config, ['pull', ref]);
  assert.match(upToDate.stdout, new RegExp(`Status: Image is up to date for ${ref.replace(/\./g, '\\.')}\n`));
  const unknown = docker(d, config, ['pull', `${reg}/ship/busybox:404`]);
  assert.notEqual(unknown.status, 0);
  assert.doesNotMatch(unknown.stderr, /pull "[^"]*": pull "/, 'the error is wrapped once');
  assert.match(unknown.stderr, /404|not found|unknown/i);

  // search through the registry's v1 search API.
  const search = docker(d, config, ['search', `${reg}/busybox`]);
  assert.equal(search.status, 0, search.all);
  assert.match(search.stdout, new RegExp(`${reg.replace(/\./g, '\\.')}/ship/busybox`));

  // a term without a registry searches Docker Hub's index (unreachable from this machine: the
  // error names it; where it is reachable, results come back)
  const hub = docker(d, config, ['search', '--limit', '1', 'busybox']);
  if (hub.status !== 0) assert.match(hub.stderr, /search "busybox": .*index\.docker\.io/);
  else assert.match(hub.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
  const noCreds = await d.request('/v1.43/auth', { method: 'POST', body: { serveraddress: reg } });
  assert.equal(noCreds.status, 400);

  // push --all-tags sends every tag of the repository.
  assert.equal(docker(d, config, ['tag', ref, `${reg}/ship/busybox:extra`]).status, 0);
  const all = docker(d, config, ['push', '--all-tags', `${reg}/ship/busybox`]);
  assert.equal(all.status, 0, all.all);
  assert.match(all.stdout, /\n1: digest: sha256:[0-9a-f]{64} size: \d+\n/);
  assert.match(all.stdout, /\nextra: digest: sha256:[0-9a-f]{64} size: \d+\n/);

  // A daemon that never had the image: run pulls it first (create answers 404 No such image).
  const d2 = await startDaemon(t);
  const create = await d2.request('/v1.43/containers/create', { method: 'POST', body: { Image: ref, Cmd: ['true'] } });
  assert.equal(create.status, 404);
  assert.match(create.text(), new RegExp(`No such image: ${ref.replace(/\./g, '\\.')}`));
  const run = docker(d2, config, ['run', '--rm', ref, 'echo', 'ok']);
  assert.equal(run.status, 0, run.all);
  assert.equal(run.stdout, 'ok\n');
  assert.match(run.stderr, /Unable to find image/);

  // berth push / pull of the same.
  const viaBerth = `${reg}/ship/berth:3`;
  await ok(h, ['tag', ref, viaBerth]);
  const bpush = await ok(h, ['push', viaBerth]);
  assert.match(bpush, /3: digest: sha256:[0-9a-f]{64} size: \d+/);
  await ok(h, ['rmi', viaBerth]);
  const bpull = await ok(h, ['pull', viaBerth]);
  assert.equal(count(bpull, /Status: /), 1, bpull);
  assert.match(bpull, new RegExp(`Status: Image is up to date for ${viaBerth.replace(/\./g, '\\.')}\n|Status: Downloaded newer image for ${viaBerth.replace(/\./g, '\\.')}\n`));
  assert.equal(await ok(h, ['run', '--rm', viaBerth, 'echo', 'berth']), 'berth\n');

  // docker login against a registry with htpasswd: success, then push with the stored credentials; a wrong password fails.
  const htpasswd = join(dir, 'htpasswd');
  writeFileSync(htpasswd, htpasswdLine('alice', 's3cret', 4) + '\n');
  const secure = await startBerthRegistry(t, join(dir, 'registry-auth'), ['--htpasswd', htpasswd]);
  const bad = docker(d, config, ['login', secure, '-u', 'alice', '--password-stdin'], Buffer.from('wrong\n'));
  assert.notEqual(bad.status, 0, bad.all);
  assert.match(bad.stderr, /unauthorized|incorrect username or password/i);
  const denied = docker(d, config, ['push', `${secure}/x/y:1`]);
  assert.notEqual(denied.status, 0);
  const login = docker(d, config, ['login', secure, '-u', 'alice', '--password-stdin'], Buffer.from('s3cret\n'));
  assert.equal(login.status, 0, login.all);
  assert.match(login.stdout, /Login Succeeded/);
  const securedRef = `${secure}/team/busybox:1`;
  assert.equal(docker(d, config, ['tag', ref, securedRef]).status, 0);
  const spush = docker(d, config, ['push', securedRef]);
  assert.equal(spush.status, 0, spush.all);
  assert.match(spush.stdout, /digest: sha256:/);
  const blogin = await berth(h, ['login', secure, '-u', 'alice', '-p', 'nope'], { env: { HOME: dir } });
  assert.notEqual(blogin.code, 0);
  assert.match(blogin.stderr, /unauthorized|incorrect/i);
});
