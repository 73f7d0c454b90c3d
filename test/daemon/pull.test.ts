import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';

function docker(d: TestDaemon, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const r = spawnSync('/usr/local/bin/docker', args, { encoding: 'utf8', env, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('docker pull through berthd from a local distribution registry, then run the image', async (t) => {
  for (const bin of ['/usr/bin/docker-registry', '/usr/bin/skopeo']) {
    assert.ok(existsSync(bin), `${bin} is missing: install Debian's docker-registry and skopeo (see PEERS.md)`);
  }
  const d = await startDaemon(t);
  const regDir = join(d.dir, 'registry');
  mkdirSync(regDir, { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(regDir, 'config.yml'),
    `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${regDir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const registry = spawn('/usr/bin/docker-registry', ['serve', join(regDir, 'config.yml')], { stdio: 'ignore' });
  t.after(() => {
    registry.kill('SIGKILL');
  });
  // Wait for the registry to answer.
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // An image made here, saved by berthd, pushed into the registry with skopeo.
  const rootfs = join(d.dir, 'rootfs');
  makeBusyboxRootfs(rootfs);
  writeFileSync(join(rootfs, 'etc', 'pulled'), 'from-the-registry\n');
  assert.equal(spawnSync('tar', ['-C', rootfs, '-cf', join(d.dir, 'rootfs.tar'), '.']).status, 0);
  assert.equal(docker(d, 'import', '-c', 'CMD ["cat","/etc/pulled"]', join(d.dir, 'rootfs.tar'), 'seed:1').status, 0);
  assert.equal(docker(d, 'save', '-o', join(d.dir, 'seed.tar'), 'seed:1').status, 0);
  const copy = spawnSync('/usr/bin/skopeo', ['copy', '--dest-tls-verify=false', `docker-archive:${join(d.dir, 'seed.tar')}`, `docker://127.0.0.1:${port}/team/seed:1`], { encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
  assert.equal(docker(d, 'rmi', 'seed:1').status, 0);

  const ref = `127.0.0.1:${port}/team/seed:1`;
  const pull = docker(d, 'pull', ref);
  assert.equal(pull.status, 0, pull.stderr);
  assert.match(pull.stdout, /Digest: sha256:[0-9a-f]{64}/);
  assert.match(pull.stdout, new RegExp(`Downloaded newer image for ${ref.replace(/\./g, '\\.')}`));
  const again = docker(d, 'pull', ref);
  assert.match(again.stdout, /Image is up to date/);
  const run = docker(d, 'run', '--rm', ref);
  assert.equal(run.stdout, 'from-the-registry\n', run.stderr);
  const missing = docker(d, 'pull', `127.0.0.1:${port}/team/nothing:1`);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /not found|unknown/i);
});
