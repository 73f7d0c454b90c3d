import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { berth, busyboxTar, ok } from '../cli/harness.ts';

const dockerCli = '/usr/local/bin/docker';

function docker(d: TestDaemon, args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config`, DOCKER_BUILDKIT: '0' };
  delete env['DOCKER_CONTEXT'];
  const r = spawnSync(dockerCli, args, { encoding: 'utf8', env, timeout: 120_000, ...(cwd ? { cwd } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function makeContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-cli-'));
  mkdirSync(join(dir, 'site'));
  writeFileSync(join(dir, 'site/index.html'), '<h1>hi</h1>\n');
  writeFileSync(join(dir, 'secret.key'), 'do not ship\n');
  writeFileSync(join(dir, '.dockerignore'), '*.key\n');
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM busybox AS base',
      'ARG VERSION=1.0',
      'LABEL version=$VERSION',
      'WORKDIR /srv',
      'COPY site/ ./',
      'COPY <<EOF /etc/motd',
      'built by berth',
      'EOF',
      'RUN --mount=type=cache,target=/cache echo run >> /cache/count && wc -l < /cache/count > /srv/runs',
      'ONBUILD RUN echo triggered > /onbuild',
      'HEALTHCHECK --interval=3s CMD test -f /srv/index.html',
      'STOPSIGNAL SIGUSR1',
      'EXPOSE 80',
      'VOLUME /data',
      'ENTRYPOINT ["cat"]',
      'CMD ["/srv/index.html"]',
    ].join('\n'),
  );
  return dir;
}

test('docker build (legacy builder) against berthd: instructions, .dockerignore, cache, ONBUILD', async (t) => {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing: the docker CLI 28.x is expected on this machine`);
  const d = await startDaemon(t);
  const ctx = makeContext();
  t.after(() => rmSync(ctx, { recursive: true, force: true }));
  const tar = join(ctx, '..', `${ctx.split('/').pop()}.tar`);
  writeFileSync(tar, await busyboxTar());
  t.after(() => rmSync(tar, { force: true }));
  assert.equal(docker(d, ['import', tar, 'busybox:latest']).status, 0);

  const built = docker(d, ['build', '--build-arg', 'VERSION=2.5', '-t', 'site:1', '.'], ctx);
  assert.equal(built.status, 0, built.stderr + built.stdout);
  assert.match(built.stdout, /Step 1\/14 : FROM busybox AS base/);
  assert.match(built.stdout, /Successfully tagged site:1/);

  const fmt = '{{.Config.Labels.version}}|{{.Config.WorkingDir}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{.Config.StopSignal}}|{{json .Config.ExposedPorts}}|{{json .Config.Volumes}}|{{json .Config.Healthcheck.Test}}|{{json .Config.OnBuild}}';
  const inspect = docker(d, ['image', 'inspect', '--format', fmt, 'site:1']);
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.equal(
    inspect.stdout.trim(),
    '2.5|/srv|["cat"]|["/srv/index.html"]|SIGUSR1|{"80/tcp":{}}|{"/data":{}}|["CMD-SHELL","test -f /srv/index.html"]|["RUN echo triggered > /onbuild"]',
  );
  const run = docker(d, ['run', '--rm', 'site:1']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '<h1>hi</h1>\n');
  assert.equal(docker(d, ['run', '--rm', 'site:1', '/etc/motd']).stdout, 'built by berth\n');
  const ignored = docker(d, ['run', '--rm', '--entrypoint', 'ls', 'site:1', '/srv']);
  assert.doesNotMatch(ignored.stdout, /secret\.key/);

  // Nothing changed: every step from cache, no container, same image.
  const again = docker(d, ['build', '--build-arg', 'VERSION=2.5', '-t', 'site:1', '.'], ctx);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 3);
  assert.doesNotMatch(again.stdout, /Running in/);
  assert.equal(docker(d, ['image', 'inspect', '-f', '{{.Id}}', 'site:1']).stdout, docker(d, ['image', 'inspect', '-f', '{{.Id}}', 'site:1']).stdout);

  // An image built FROM site:1 runs its ONBUILD trigger.
  const child = mkdtempSync(join(tmpdir(), 'berth-build-cli-child-'));
  t.after(() => rmSync(child, { recursive: true, force: true }));
  writeFileSync(join(child, 'Dockerfile'), 'FROM site:1\nENTRYPOINT []\nCMD ["cat", "/onbuild"]\n');
  const childBuild = docker(d, ['build', '-t', 'child:1', '.'], child);
  assert.equal(childBuild.status, 0, childBuild.stderr + childBuild.stdout);
  assert.match(childBuild.stdout, /Executing 1 build trigger/);
  assert.equal(docker(d, ['run', '--rm', 'child:1']).stdout, 'triggered\n');

  // A failing RUN: the error names the command and its code; the tag is not created.
  writeFileSync(join(child, 'Dockerfile'), 'FROM busybox\nRUN echo going-down; exit 4\n');
  const failed = docker(d, ['build', '-t', 'broken:1', '.'], child);
  assert.equal(failed.status, 1);
  assert.match(failed.stdout + failed.stderr, /going-down/);
  assert.match(failed.stderr, /returned a non-zero code: 4/);
  assert.notEqual(docker(d, ['image', 'inspect', 'broken:1']).status, 0);
});

test('berth build: tags, --target, -f, -q and a parse error with its line', async (t) => {
  const d = await startDaemon(t);
  await ok(d.host, ['import', '-', 'busybox:latest'], { input: await busyboxTar() });
  const ctx = mkdtempSync(join(tmpdir(), 'berth-build-cli-'));
  t.after(() => rmSync(ctx, { recursive: true, force: true }));
  writeFileSync(join(ctx, 'hello.txt'), 'hello\n');
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox AS one\nCOPY hello.txt /\nFROM one AS two\nRUN exit 1\n');
  writeFileSync(join(ctx, 'bad.Dockerfile'), 'FROM busybox\nBOGUS thing\n');

  const out = await ok(d.host, ['build', '-t', 'stage:one', '--target', 'one', ctx]);
  assert.match(out, /Successfully tagged stage:one/);
  assert.equal(await ok(d.host, ['run', '--rm', 'stage:one', 'cat', '/hello.txt']), 'hello\n');
  const quiet = await ok(d.host, ['build', '-q', '--target', 'one', ctx]);
  assert.match(quiet.trim(), /^sha256:[0-9a-f]{64}$/);

  const fromStdin = await ok(d.host, ['build', '-t', 'stdin:df', '-f', '-', ctx], { input: 'FROM busybox\nRUN echo dockerfile-from-stdin\n' });
  assert.match(fromStdin, /dockerfile-from-stdin/);
  const { execFileSync } = await import('node:child_process');
  const tarball = execFileSync('tar', ['-cz', '-C', ctx, '.']);
  const fromTar = await ok(d.host, ['build', '-q', '--target', 'one', '-'], { input: tarball });
  assert.match(fromTar.trim(), /^sha256:[0-9a-f]{64}$/, 'a gzip-compressed tar context on stdin');

  const bad = await berth(d.host, ['build', '-f', join(ctx, 'bad.Dockerfile'), ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /dockerfile parse error on line 2: unknown instruction: BOGUS/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
});
