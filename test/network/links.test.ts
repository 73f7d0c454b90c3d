import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNetDaemon, unique } from './harness.ts';

test('--link on the default bridge: hosts entry, docker link variables, HostConfig.Links; errors for bad targets', async (t) => {
  const n = await startNetDaemon(t);
  const db = unique('db');
  const web = unique('web');
  n.ok('run', '-d', '--name', db, '--hostname', 'dbhost', '--expose', '5432', '--expose', '53/udp', '-e', 'PGDATA=/data', 'busybox', 'sleep', '300');
  const ip = n.ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', db);
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
  const out = n.ok('run', '--rm', '--name', web, '--link', `${db}:store`, '-e', 'STORE_NAME=mine', 'busybox', 'sh', '-c', 'env; echo ---; cat /etc/hosts; echo ---; ping -c 1 -W 3 store >/dev/null && echo reached');
  const [envText = '', hosts = '', last = ''] = out.split('---\n');
  const env = envText.split('\n').filter(Boolean);
  assert.ok(env.includes(`STORE_PORT=udp://${ip}:53`), envText); // the lowest port, as docker picks it
  assert.ok(env.includes(`STORE_PORT_5432_TCP=tcp://${ip}:5432`));
  assert.ok(env.includes(`STORE_PORT_5432_TCP_ADDR=${ip}`));
  assert.ok(env.includes('STORE_PORT_5432_TCP_PORT=5432'));
  assert.ok(env.includes('STORE_PORT_5432_TCP_PROTO=tcp'));
  assert.ok(env.includes(`STORE_PORT_53_UDP=udp://${ip}:53`));
  assert.ok(env.includes('STORE_ENV_PGDATA=/data'));
  assert.ok(env.includes('STORE_NAME=mine'), 'the container\'s own variable wins');
  assert.ok(!env.some((e) => e.startsWith('STORE_ENV_PATH=')));
  assert.ok(hosts.split('\n').includes(`${ip}\tstore dbhost ${db}`), hosts);
  assert.equal(last.trim(), 'reached');

  // HostConfig.Links as docker shows it; the alias defaults to the target's name
  const id = n.ok('create', '--name', `${web}2`, '--link', db, 'busybox', 'true');
  assert.deepEqual(JSON.parse(n.ok('inspect', '-f', '{{json .HostConfig.Links}}', id)), [`/${db}:/${web}2/${db}`]);
  const env2 = n.ok('start', '-a', id);
  assert.equal(env2, '');
  const logs = n.ok('run', '--rm', '--link', db, 'busybox', 'sh', '-c', 'echo $' + `${db.toUpperCase()}_NAME`);
  assert.match(logs, new RegExp(`^/[^/]+/${db}$`));

  // a missing target, and network modes that cannot link
  const missing = n.docker('run', '--rm', '--link', 'nosuch', 'busybox', 'true');
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /could not get container for nosuch/);
  const host = n.docker('run', '--rm', '--network', 'host', '--link', db, 'busybox', 'true');
  assert.notEqual(host.status, 0);
  assert.match(host.stderr, /conflicting options: host type networking can't be used with links/);
  // a target that stopped: the start fails
  const late = n.ok('create', '--link', `${db}:x`, 'busybox', 'true');
  n.ok('stop', '-t', '0', db);
  const start = n.docker('start', late);
  assert.notEqual(start.status, 0);
  assert.match(start.stderr, /cannot link to a non running container/);
});
