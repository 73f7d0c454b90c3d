import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildContext } from '../../src/builder/index.ts';
import { mountAll, unmount } from '../../src/sys/index.ts';
import { collect, makeBuildEnv, type BuildEnv } from './harness.ts';

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-ctx-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Mounts a read-only view of the image's top layer and reads a file from it. */
async function readFromImage(env: BuildEnv, ref: string, path: string): Promise<string> {
  const img = await env.images.resolve(ref);
  const key = `view-${Math.random().toString(16).slice(2)}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-view-'));
  mountAll(await env.snapshotter.view(key, img.chainIds.at(-1)!), dir);
  try {
    return readFileSync(join(dir, path), 'utf8');
  } finally {
    unmount(dir);
    await env.snapshotter.remove(key);
    rmSync(dir, { recursive: true });
  }
}

test('Builder builds a multi-stage Dockerfile, runs RUN in containers, and caches every step', async (t) => {
  const env = await makeBuildEnv();
  const ctxDir = context({
    'app/main.sh': '#!/bin/sh\necho "hello from $GREETING"\n',
    'app/data.txt': 'data v1\n',
    'notes.log': 'ignored\n',
    '.dockerignore': '*.log\n',
    Dockerfile: [
      '# syntax=docker/dockerfile:1',
      'ARG BASE=busybox',
      'FROM ${BASE} AS build',
      'WORKDIR /src',
      'COPY app/ ./',
      'RUN echo built > /src/out.txt && cat data.txt >> /src/out.txt',
      'RUN <<EOF',
      'echo heredoc-ran > /src/heredoc.txt',
      'EOF',
      'FROM busybox AS unused',
      'RUN exit 3',
      'FROM busybox',
      'ENV GREETING=berth',
      'LABEL org.example.stage=final',
      'COPY --from=build /src/out.txt /src/heredoc.txt /opt/',
      'COPY --chmod=755 app/main.sh /usr/local/bin/main',
      'EXPOSE 8080',
      'USER nobody',
      'CMD ["/usr/local/bin/main"]',
    ].join('\n'),
  });
  t.after(async () => {
    rmSync(ctxDir, { recursive: true, force: true });
    await env.dispose();
  });

  const first = collect();
  const result = await env.builder.build(await BuildContext.open(ctxDir), { tags: ['app:v1'] }, first.emit);
  assert.match(first.text(), /Successfully built [0-9a-f]{12}/);
  assert.match(first.text(), /Successfully tagged app:v1/);
  assert.doesNotMatch(first.text(), /exit 3/, 'the unused stage must not be built');

  const img = await env.images.resolve('app:v1');
  assert.equal(img.id, result.id);
  const cfg = img.config.config!;
  assert.deepEqual(cfg.Cmd, ['/usr/local/bin/main']);
  assert.equal(cfg.User, 'nobody');
  assert.ok(cfg.Env?.includes('GREETING=berth'));
  assert.deepEqual(cfg.Labels, { 'org.example.stage': 'final' });
  assert.ok(cfg.ExposedPorts && '8080/tcp' in cfg.ExposedPorts);
  assert.equal(await readFromImage(env, 'app:v1', 'opt/out.txt'), 'built\ndata v1\n');
  assert.equal(await readFromImage(env, 'app:v1', 'opt/heredoc.txt'), 'heredoc-ran\n');
  assert.equal(img.config.rootfs.diff_ids.length, 3, 'busybox + two COPY layers');

  // Nothing changed: every layer step is a cache hit and no container runs.
  const second = collect();
  const again = await env.builder.build(await BuildContext.open(ctxDir), { tags: ['app:v1'] }, second.emit);
  assert.equal((second.text().match(/Using cache/g) ?? []).length, 5);
  assert.doesNotMatch(second.text(), /Running in/);
  assert.deepEqual((await env.images.resolve('app:v1')).config.rootfs.diff_ids, img.config.rootfs.diff_ids);
  assert.equal(again.id, result.id, 'an unchanged rebuild yields the same image');

  // A changed source file reruns the build stage from its COPY on, and so every later layer.
  writeFileSync(join(ctxDir, 'app/data.txt'), 'data v2\n');
  const third = collect();
  await env.builder.build(await BuildContext.open(ctxDir), { tags: ['app:v2'] }, third.emit);
  assert.doesNotMatch(third.text(), /Using cache/);
  assert.equal(await readFromImage(env, 'app:v2', 'opt/out.txt'), 'built\ndata v2\n');
});

test('Builder reports a failing RUN with its exit code and output, and tags nothing', async (t) => {
  const env = await makeBuildEnv();
  const ctxDir = context({ Dockerfile: 'FROM busybox\nRUN echo about-to-fail && exit 7\n' });
  t.after(async () => {
    rmSync(ctxDir, { recursive: true, force: true });
    await env.dispose();
  });
  const out = collect();
  await assert.rejects(
    env.builder.build(await BuildContext.open(ctxDir), { tags: ['broken:1'] }, out.emit),
    /dockerfile line 2: RUN: The command '\/bin\/sh -c echo about-to-fail && exit 7' returned a non-zero code: 7/,
  );
  assert.match(out.text(), /about-to-fail/);
  await assert.rejects(env.images.resolve('broken:1'), /not found|No such image/i);
});

test('Builder: --target, build args and parse errors', async (t) => {
  const env = await makeBuildEnv();
  const ctxDir = context({
    Dockerfile: 'FROM busybox AS one\nARG MSG=default\nRUN echo "$MSG" > /msg\nFROM one AS two\nRUN exit 9\n',
    'bad.Dockerfile': 'FROM busybox\nCOPY onlyone\n',
  });
  t.after(async () => {
    rmSync(ctxDir, { recursive: true, force: true });
    await env.dispose();
  });
  const ctx = await BuildContext.open(ctxDir);
  await env.builder.build(ctx, { tags: ['t:one'], target: 'one', buildArgs: { MSG: 'from-arg' } }, () => {});
  assert.equal(await readFromImage(env, 't:one', 'msg'), 'from-arg\n');
  await assert.rejects(env.builder.build(ctx, { target: 'nope' }, () => {}), /failed to reach build target nope/);
  await assert.rejects(env.builder.build(ctx, { dockerfile: 'bad.Dockerfile' }, () => {}), /line 2: COPY requires at least two arguments/);
  await assert.rejects(env.builder.build(ctx, { dockerfile: 'missing' }, () => {}), /failed to read dockerfile/);
  writeFileSync(join(ctxDir, 'plat.Dockerfile'), 'FROM --platform=$BUILDPLATFORM busybox AS b\nRUN echo $TARGETARCH\nFROM --platform=linux/s390x busybox\n');
  await assert.rejects(env.builder.build(ctx, { dockerfile: 'plat.Dockerfile' }, () => {}), /line 3: FROM --platform=linux\/s390x: this builder builds for the host platform/);
  await env.builder.build(ctx, { dockerfile: 'plat.Dockerfile', target: 'b', tags: ['plat:1'] }, () => {});
});

test('Builder: changing one file invalidates exactly the steps from its COPY on', async (t) => {
  const env = await makeBuildEnv();
  const ctxDir = context({
    'a.txt': 'a1\n',
    'b.txt': 'b1\n',
    Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY a.txt /a\nRUN cat /a /one > /joined\nCOPY b.txt /b\nCMD ["cat", "/joined"]\n',
  });
  t.after(async () => {
    rmSync(ctxDir, { recursive: true, force: true });
    await env.dispose();
  });
  const cachedSteps = async () => {
    const out = collect();
    await env.builder.build(await BuildContext.open(ctxDir), { tags: ['inv:1'] }, out.emit);
    return out
      .text()
      .split(/^Step /m)
      .slice(1)
      .filter((s) => s.includes('Using cache'))
      .map((s) => s.slice(s.indexOf(': ') + 2, s.indexOf('\n')));
  };
  assert.deepEqual(await cachedSteps(), []);
  writeFileSync(join(ctxDir, 'b.txt'), 'b2\n');
  assert.deepEqual(await cachedSteps(), ['RUN echo one > /one', 'COPY a.txt /a', 'RUN cat /a /one > /joined']);
  writeFileSync(join(ctxDir, 'a.txt'), 'a2\n');
  assert.deepEqual(await cachedSteps(), ['RUN echo one > /one']);
  assert.equal(await readFromImage(env, 'inv:1', 'joined'), 'a2\none\n');
  assert.equal(await readFromImage(env, 'inv:1', 'b'), 'b2\n');
});

test('Builder: --cache-from reuses the layers of an image built from the same steps', async (t) => {
  const env = await makeBuildEnv();
  const ctxDir = context({ 'a.txt': 'a\n', Dockerfile: 'FROM busybox\nCOPY a.txt /a\nRUN cat /a > /b\n' });
  t.after(async () => {
    rmSync(ctxDir, { recursive: true, force: true });
    await env.dispose();
  });
  const first = await env.builder.build(await BuildContext.open(ctxDir), { tags: ['src:1'] }, () => {});
  assert.equal(env.cache.prune(() => true, true) > 0, true, 'the local cache is emptied');
  const plain = collect();
  await env.builder.build(await BuildContext.open(ctxDir), { tags: ['other:1'], noCache: false }, plain.emit);
  assert.doesNotMatch(plain.text(), /Using cache/, 'without --cache-from nothing is cached');
  env.cache.prune(() => true, true);
  const out = collect();
  const second = await env.builder.build(await BuildContext.open(ctxDir), { tags: ['src:2'], cacheFrom: ['src:1', 'missing:0'] }, out.emit);
  assert.equal((out.text().match(/Using cache/g) ?? []).length, 2);
  assert.doesNotMatch(out.text(), /Running in/);
  assert.deepEqual((await env.images.resolve('src:2')).config.rootfs.diff_ids, (await env.images.resolve('src:1')).config.rootfs.diff_ids);
  assert.ok(first.id && second.id);
});

test('Builder: ADD extracts local archives and fetches URLs; COPY --chown and --chmod set owner and mode', async (t) => {
  const env = await makeBuildEnv();
  const { createServer } = await import('node:http');
  const { execFileSync } = await import('node:child_process');
  const server = createServer((req, res) => {
    if (req.url === '/files/remote.txt') res.end('from the web\n');
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const ctxDir = context({
    'payload/inner/x.txt': 'inside the archive\n',
    'owned.txt': 'mine\n',
    Dockerfile: [
      'FROM busybox',
      'ADD bundle.tar.gz /opt/',
      `ADD http://127.0.0.1:${port}/files/remote.txt /web/`,
      'COPY --chown=nobody:nogroup --chmod=640 owned.txt /owned.txt',
      'RUN stat -c "%U:%G %a" /owned.txt > /owned.stat && stat -c "%a" /web/remote.txt > /web.stat',
    ].join('\n'),
  });
  execFileSync('tar', ['-czf', join(ctxDir, 'bundle.tar.gz'), '-C', join(ctxDir, 'payload'), '.']);
  t.after(async () => {
    server.close();
    rmSync(ctxDir, { recursive: true, force: true });
    await env.dispose();
  });
  await env.builder.build(await BuildContext.open(ctxDir), { tags: ['add:1'] }, () => {});
  assert.equal(await readFromImage(env, 'add:1', 'opt/inner/x.txt'), 'inside the archive\n');
  assert.equal(await readFromImage(env, 'add:1', 'web/remote.txt'), 'from the web\n');
  assert.equal(await readFromImage(env, 'add:1', 'owned.stat'), 'nobody:nogroup 640\n');
  assert.equal(await readFromImage(env, 'add:1', 'web.stat'), '600\n');

  // A checksum that does not match the download fails the step.
  writeFileSync(join(ctxDir, 'Dockerfile'), `FROM busybox\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/files/remote.txt /r\n`);
  await assert.rejects(env.builder.build(await BuildContext.open(ctxDir), {}, () => {}), /checksum mismatch/);
  writeFileSync(join(ctxDir, 'Dockerfile'), `FROM busybox\nADD http://127.0.0.1:${port}/missing /r\n`);
  await assert.rejects(env.builder.build(await BuildContext.open(ctxDir), {}, () => {}), /ADD "http:\/\/127\.0\.0\.1:\d+\/missing": 404/);
});

test('Builder: RUN --mount binds the context or an earlier stage read-only, and a cache dir that persists', async (t) => {
  const env = await makeBuildEnv();
  const ctxDir = context({
    'tool.sh': 'echo tool-ran\n',
    Dockerfile: [
      'FROM busybox AS assets',
      'RUN mkdir /assets && echo asset-data > /assets/a.txt',
      'FROM busybox',
      'RUN --mount=type=bind,source=tool.sh,target=/t.sh sh /t.sh > /tool.out',
      'RUN --mount=type=bind,from=assets,source=/assets,target=/in cat /in/a.txt > /asset.out && ! touch /in/x 2>/dev/null',
      'RUN --mount=type=cache,target=/cache,id=c1 echo x >> /cache/log && wc -l < /cache/log > /cache.count',
    ].join('\n'),
  });
  t.after(async () => {
    rmSync(ctxDir, { recursive: true, force: true });
    await env.dispose();
  });
  await env.builder.build(await BuildContext.open(ctxDir), { tags: ['mnt:1'] }, () => {});
  assert.equal(await readFromImage(env, 'mnt:1', 'tool.out'), 'tool-ran\n');
  assert.equal(await readFromImage(env, 'mnt:1', 'asset.out'), 'asset-data\n');
  assert.equal(await readFromImage(env, 'mnt:1', 'cache.count'), '1\n');
  await env.builder.build(await BuildContext.open(ctxDir), { tags: ['mnt:2'], noCache: true }, () => {});
  assert.equal(await readFromImage(env, 'mnt:2', 'cache.count'), '2\n', 'the cache mount keeps its content between builds');
});
