import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startDaemon, berthdCommand } from '../helpers/daemon.ts';

test('berthd answers /_ping with the negotiation headers, GET and HEAD', async (t) => {
  const d = await startDaemon(t);
  for (const method of ['GET', 'HEAD']) {
    const r = await d.request('/_ping', { method });
    assert.equal(r.status, 200, method);
    assert.equal(r.headers['api-version'], '1.45');
    assert.equal(r.headers['ostype'], 'linux');
    assert.equal(r.headers['builder-version'], '1');
    assert.equal(r.headers['docker-experimental'], 'false');
    assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(r.text(), method === 'GET' ? 'OK' : '');
  }
  const v = await d.request('/v1.24/_ping');
  assert.equal(v.status, 200);

  const version = (await d.request('/v1.45/version')).json();
  assert.equal(version.ApiVersion, '1.45');
  assert.equal(version.MinAPIVersion, '1.24');
  assert.equal(version.Os, 'linux');
  assert.equal(version.Components[0].Name, 'Engine');

  const old = await d.request('/v1.23/version');
  assert.equal(old.status, 400);
  assert.match(old.json().message, /Minimum supported API version is 1\.24/);
  const missing = await d.request('/v1.45/no/such/route');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { message: 'page not found' });

  // The unix socket is 0660, and the pidfile names the daemon.
  assert.equal(statSync(d.socket).mode & 0o777, 0o660);
  assert.equal(readFileSync(d.pidfile, 'utf8').trim(), String(d.process.pid));
});

test('berthd /info reports the machine, the data root and counts, with a stable engine id', async (t) => {
  const d = await startDaemon(t);
  const info = (await d.request('/v1.45/info')).json();
  assert.equal(info.NCPU, cpus().length);
  assert.equal(info.MemTotal, totalmem());
  assert.equal(info.DockerRootDir, d.dataRoot);
  assert.equal(info.Driver, 'overlay2');
  assert.equal(info.OSType, 'linux');
  assert.equal(info.CgroupDriver, 'cgroupfs');
  assert.ok(['1', '2'].includes(info.CgroupVersion));
  assert.equal(info.LiveRestoreEnabled, true);
  assert.equal(typeof info.Containers, 'number');
  assert.equal(info.Containers, info.ContainersRunning + info.ContainersPaused + info.ContainersStopped);
  assert.match(info.ID, /^[0-9a-f-]{36}$/);
  await d.stop();
  const again = await startDaemon(t, { dir: d.dir });
  assert.equal((await again.request('/info')).json().ID, info.ID);
});

test('berthd refuses to start while another live berthd holds the pidfile or the socket, and cleans up on SIGTERM', async (t) => {
  const d = await startDaemon(t);
  const [cmd, ...args] = berthdCommand();
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  const other = mkdtempSync(join(tmpdir(), 'berth-daemon-second-'));
  t.after(() => rmSync(other, { recursive: true, force: true }));
  const run = (...extra: string[]) =>
    spawnSync(cmd!, [...args, '--data-root', join(other, 'd'), '--exec-root', join(other, 'e'), ...extra], { encoding: 'utf8', env });
  const samePid = run('--pidfile', d.pidfile, '-H', `unix://${join(other, 's.sock')}`);
  assert.equal(samePid.status, 1);
  assert.match(samePid.stderr, /pid file found, ensure berthd is not running or delete/);
  const sameSocket = run('-H', d.host);
  assert.equal(sameSocket.status, 1);
  assert.match(sameSocket.stderr, /another daemon is listening there/);
  assert.equal((await d.request('/_ping')).status, 200, 'the first daemon is unharmed');
  await d.stop();
  assert.equal(d.process.exitCode, 0);
  assert.equal(existsSync(d.pidfile), false);
  assert.match(d.log(), /"msg":"api ready"/);
  assert.match(d.log(), /"msg":"stopped"/);
});

test('berthd starts again after SIGKILL over a stale socket and pidfile', async (t) => {
  const d = await startDaemon(t);
  await d.request('/v1.45/volumes/create', { method: 'POST', body: { Name: 'survivor' } });
  await d.kill();
  assert.ok(existsSync(d.pidfile), 'a killed daemon leaves its pidfile');
  const again = await startDaemon(t, { dir: d.dir });
  const v = await again.request('/v1.45/volumes/survivor');
  assert.equal(v.status, 200);
  assert.equal(v.json().Name, 'survivor');
});

test('berthd rejects bad flags and TCP without TLS verification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-daemon-flags-'));
  try {
    const [cmd, ...args] = berthdCommand();
    const env = { ...process.env };
    delete env['NODE_EXTRA_CA_CERTS'];
    const run = (...extra: string[]) =>
      spawnSync(cmd!, [...args, '--data-root', join(dir, 'd'), '--exec-root', join(dir, 'e'), ...extra], { encoding: 'utf8', env });
    const tcp = run('-H', 'tcp://127.0.0.1:0');
    assert.equal(tcp.status, 125);
    assert.match(tcp.stderr, /TCP needs --tlsverify/);
    const bad = run('--bogus');
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /unknown flag: --bogus/);
    writeFileSync(join(dir, 'daemon.json'), '{"log-level": "loud"}');
    const cfg = run('--config-file', join(dir, 'daemon.json'));
    assert.equal(cfg.status, 125);
    assert.match(cfg.stderr, /invalid log level: "loud"/);
    const help = run('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--data-root/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('berthd --group gives the socket to that group', async (t) => {
  const d = await startDaemon(t, { args: ['--group', 'daemon'] });
  const gid = Number(/^daemon:[^:]*:(\d+):/m.exec(readFileSync('/etc/group', 'utf8'))?.[1]);
  assert.ok(Number.isInteger(gid), 'the machine has a "daemon" group');
  assert.equal(statSync(d.socket).gid, gid);
});
