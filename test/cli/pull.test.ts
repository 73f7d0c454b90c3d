import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, busyboxTar, cliDaemon, ok, root } from './harness.ts';

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

// berth pull through berthd from a berth-registry filled with skopeo (from a `berth save` archive).
test('berth pull renders the progress stream and the pulled image runs', async (t) => {
  if (spawnSync('skopeo', ['--version']).status !== 0) throw new Error('skopeo is needed to fill the test registry (scripts/setup.sh installs it)');
  const d = await cliDaemon(t);
  const h = d.host;
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  const registry = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cmd/berth-registry.ts'), 'serve', '--addr', `127.0.0.1:${port}`, '--root', join(dir, 'registry')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let regLog = '';
  registry.stderr.on('data', (c) => (regLog += c));
  t.after(async () => {
    registry.kill('SIGTERM');
    await new Promise((r) => registry.once('exit', r));
  });
  for (let i = 0; ; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
    if (r?.status === 200) break;
    if (i > 300) throw new Error(`berth-registry did not start: ${regLog}`);
    await new Promise((r2) => setTimeout(r2, 100));
  }

  const local = `cli-pull-src:${process.pid}`;
  await ok(h, ['import', '-', local], { input: await busyboxTar() });
  const archive = join(dir, 'image.tar');
  await ok(h, ['save', '-o', archive, local]);
  const ref = `127.0.0.1:${port}/cli/busybox:1`;
  const copy = spawnSync('skopeo', ['copy', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${ref}`], { encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
  await ok(h, ['rmi', local]);

  const pulled = await ok(h, ['pull', ref]);
  assert.match(pulled, /^1: Pulling from cli\/busybox\n/);
  assert.match(pulled, /: Pull complete\n/);
  assert.match(pulled, /\nDigest: sha256:[0-9a-f]{64}\n/);
  assert.match(pulled, new RegExp(`\\nStatus: Downloaded newer image for ${ref.replace(/[.]/g, '\\.')}\\n`));
  assert.ok(pulled.endsWith(`\n${ref}\n`), pulled);
  assert.doesNotMatch(pulled, /Downloading \[/);
  assert.match(await ok(h, ['images', '--format', '{{.Repository}}:{{.Tag}}']), new RegExp(`127\\.0\\.0\\.1:${port}/cli/busybox:1`));
  assert.equal(await ok(h, ['run', '--rm', ref, 'echo', 'pulled and ran']), 'pulled and ran\n');
  const quiet = await ok(h, ['pull', '-q', ref]);
  assert.equal(quiet, `${ref}\n`);
  const missing = await berth(h, ['pull', `127.0.0.1:${port}/cli/nothing:9`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nothing/);
  // `run` of an image that is not there yet pulls it first, like docker.
  await ok(h, ['rmi', ref]);
  const ran = await berth(h, ['run', '--rm', ref, 'echo', 'auto-pulled']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, 'auto-pulled\n');
  assert.match(ran.stderr, new RegExp(`^Unable to find image '${ref.replace(/[.]/g, '\\.')}' locally\\n`));
});
