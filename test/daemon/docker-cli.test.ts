import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';

const dockerCli = '/usr/local/bin/docker';

function docker(d: TestDaemon, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
  delete env['DOCKER_CONTEXT'];
  const r = spawnSync(dockerCli, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the real docker CLI negotiates with berthd: version, info, volumes, images', async (t) => {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing: the docker CLI 28.x is expected on this machine`);
  const d = await startDaemon(t);

  const version = docker(d, 'version', '--format', '{{.Server.APIVersion}} {{.Server.Os}} {{.Client.APIVersion}}');
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), '1.45 linux 1.45');

  const info = docker(d, 'info', '--format', '{{.Driver}} {{.DockerRootDir}} {{.NCPU}} {{.OSType}}');
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout.trim(), new RegExp(`^overlay2 ${d.dataRoot} \\d+ linux$`));
  const plain = docker(d, 'info');
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /Storage Driver: overlay2/);

  assert.equal(docker(d, 'volume', 'create', '--label', 'k=v', 'cli-vol').stdout.trim(), 'cli-vol');
  const ls = docker(d, 'volume', 'ls', '--format', '{{.Driver}} {{.Name}}');
  assert.equal(ls.stdout.trim(), 'local cli-vol');
  const filtered = docker(d, 'volume', 'ls', '-q', '--filter', 'label=k=v');
  assert.equal(filtered.stdout.trim(), 'cli-vol');
  const inspect = docker(d, 'volume', 'inspect', '--format', '{{.Mountpoint}}', 'cli-vol');
  assert.equal(inspect.stdout.trim(), `${d.dataRoot}/volumes/cli-vol/_data`);
  const missing = docker(d, 'volume', 'inspect', 'nope');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such volume/);
  assert.equal(docker(d, 'volume', 'rm', 'cli-vol').stdout.trim(), 'cli-vol');

  const images = docker(d, 'images');
  assert.equal(images.status, 0, images.stderr);
  assert.match(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);

  const df = docker(d, 'system', 'df');
  assert.equal(df.status, 0, df.stderr);
  assert.match(df.stdout, /Local Volumes/);
});
