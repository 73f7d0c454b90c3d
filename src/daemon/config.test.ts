import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDaemonArgs, parseHost, resolveDaemonConfig } from './config.ts';

function withConfigFile(json: string, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-daemon-config-'));
  try {
    const p = join(dir, 'daemon.json');
    writeFileSync(p, json);
    fn(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('resolveDaemonConfig derives socket and pidfile from the exec root', () => {
  withConfigFile('{}', (file) => {
    const { config } = resolveDaemonConfig(['--config-file', file, '--exec-root', '/run/x', '--data-root=/d']);
    assert.deepEqual(config.hosts, ['unix:///run/x/berth.sock']);
    assert.equal(config.pidfile, '/run/x/berthd.pid');
    assert.equal(config.dataRoot, '/d');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.storageDriver, 'overlay2');
  });
});

test('resolveDaemonConfig lets flags win over daemon.json and repeats -H', () => {
  withConfigFile('{"data-root": "/from-file", "log-level": "warn", "hosts": ["unix:///a.sock"], "group": "docker"}', (file) => {
    const { config } = resolveDaemonConfig(['--config-file', file, '-l', 'error', '-H', 'unix:///b.sock', '-H', '/c.sock']);
    assert.equal(config.dataRoot, '/from-file');
    assert.equal(config.logLevel, 'error');
    assert.deepEqual(config.hosts, ['unix:///b.sock', '/c.sock']);
    assert.equal(config.group, 'docker');
  });
  withConfigFile('{"debug": true}', (file) => {
    assert.equal(resolveDaemonConfig(['--config-file', file]).config.logLevel, 'debug');
  });
});

test('resolveDaemonConfig refuses unknown keys, bad drivers, TCP without TLS and a missing explicit file', () => {
  withConfigFile('{"colour": "red"}', (file) => {
    assert.throws(() => resolveDaemonConfig(['--config-file', file]), /unknown option "colour"/);
  });
  withConfigFile('{}', (file) => {
    assert.throws(() => resolveDaemonConfig(['--config-file', file, '-s', 'vfs']), /storage driver "vfs" is not supported/);
    assert.throws(() => resolveDaemonConfig(['--config-file', file, '-H', 'tcp://0.0.0.0:2376']), /TCP needs --tlsverify/);
    const tls = resolveDaemonConfig(['--config-file', file, '-H', 'tcp://:2376', '--tlsverify', '--tlscacert', 'ca', '--tlscert', 'c', '--tlskey', 'k']);
    assert.equal(tls.config.tlsVerify, true);
  });
  assert.throws(() => resolveDaemonConfig(['--config-file', '/nonexistent/berth/daemon.json']), /read config file/);
  assert.throws(() => parseDaemonArgs(['--data-root']), /flag needs an argument: --data-root/);
});

test('parseHost reads unix and tcp addresses', () => {
  assert.deepEqual(parseHost('unix:///run/b.sock'), { kind: 'unix', path: '/run/b.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2376'), { kind: 'tcp', host: '127.0.0.1', port: 2376 });
  assert.deepEqual(parseHost('tcp://:1234'), { kind: 'tcp', host: '0.0.0.0', port: 1234 });
  assert.deepEqual(parseHost('tcp://[::1]:5'), { kind: 'tcp', host: '::1', port: 5 });
  assert.throws(() => parseHost('unix://relative.sock'), /must be absolute/);
  assert.throws(() => parseHost('http://x'), /invalid host/);
});
