import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkEnv, parseLink } from './links.ts';

test('linkEnv lays out ports, name and environment as docker does', () => {
  const env = linkEnv({ name: '/web/my-db', ip: '172.17.0.5', ports: ['5432/tcp', '53/udp'], env: ['PATH=/bin', 'HOME=/root', 'PGDATA=/var/lib/pg', 'EMPTY='] });
  assert.deepEqual(env, [
    'MY_DB_PORT=udp://172.17.0.5:53',
    'MY_DB_PORT_53_UDP=udp://172.17.0.5:53',
    'MY_DB_PORT_53_UDP_ADDR=172.17.0.5',
    'MY_DB_PORT_53_UDP_PORT=53',
    'MY_DB_PORT_53_UDP_PROTO=udp',
    'MY_DB_PORT_5432_TCP=tcp://172.17.0.5:5432',
    'MY_DB_PORT_5432_TCP_ADDR=172.17.0.5',
    'MY_DB_PORT_5432_TCP_PORT=5432',
    'MY_DB_PORT_5432_TCP_PROTO=tcp',
    'MY_DB_NAME=/web/my-db',
    'MY_DB_ENV_PGDATA=/var/lib/pg',
    'MY_DB_ENV_EMPTY=',
  ]);
});

test('linkEnv groups consecutive ports into a range and puts tcp first on equal numbers', () => {
  const env = linkEnv({ name: '/a/b', ip: '10.0.0.2', ports: ['8002', '8000/tcp', '8001/tcp', '80/udp', '80/tcp'], env: [] });
  assert.equal(env[0], 'B_PORT=tcp://10.0.0.2:80');
  assert.ok(env.includes('B_PORT_8000_TCP_START=tcp://10.0.0.2:8000'));
  assert.ok(env.includes('B_PORT_8000_TCP_END=tcp://10.0.0.2:8002'));
  assert.ok(env.includes('B_PORT_8000_TCP_PORT_START=8000'));
  assert.ok(env.includes('B_PORT_8000_TCP_PORT_END=8002'));
  assert.ok(env.includes('B_PORT_8001_TCP=tcp://10.0.0.2:8001'));
  assert.ok(env.includes('B_PORT_80_UDP_PROTO=udp'));
  assert.equal(env.at(-1), 'B_NAME=/a/b');
  assert.deepEqual(linkEnv({ name: '/a/b', ip: '10.0.0.2', ports: [], env: [] }), ['B_NAME=/a/b']);
});

test('parseLink splits target and alias', () => {
  assert.deepEqual(parseLink('db'), { target: 'db', alias: 'db' });
  assert.deepEqual(parseLink('db:store'), { target: 'db', alias: 'store' });
  assert.deepEqual(parseLink('/db:/web/store'), { target: 'db', alias: 'store' });
});
