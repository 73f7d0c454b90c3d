import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.ts';
import { chainPrefixFor } from '../../src/daemon/network-wiring.ts';
import { httpGet, httpd, rulesMentioning, startNetDaemon, unique, vethsOn } from './harness.ts';

test('network modes: container: shares the stack, internal has no way out, connect/disconnect a running container', async (t) => {
  const n = await startNetDaemon(t);
  const net = unique('bn');
  n.ok('network', 'create', '--subnet', '10.199.77.0/24', '--gateway', '10.199.77.254', net);
  n.ok('run', '-d', '--name', 'base', '--network', net, 'busybox', 'sh', '-c', httpd('base'));
  // container: the same interfaces and loopback
  const shared = n.ok('run', '--rm', '--network', 'container:base', 'busybox', 'sh', '-c',
    'ip -o -4 addr show eth0; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1/ && break; sleep 0.2; done');
  const baseIp = JSON.parse(n.ok('inspect', 'base'))[0].NetworkSettings.Networks[net].IPAddress as string;
  assert.match(baseIp, /^10\.199\.77\.\d+$/);
  assert.ok(shared.includes(`inet ${baseIp}/24`), shared);
  assert.match(shared, /hello from base/);

  // internal: no default route, the outside (the default bridge's gateway on the host) is unreachable
  const internal = unique('bi');
  n.ok('network', 'create', '--internal', internal);
  const r = n.docker('run', '--rm', '--network', internal, 'busybox', 'sh', '-c', `ip route; ping -c1 -W1 ${n.gateway}`);
  assert.notEqual(r.status, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /default/);
  assert.equal(JSON.parse(n.ok('network', 'inspect', internal))[0].Internal, true);

  // connect / disconnect while running
  n.ok('run', '-d', '--name', 'roamer', 'busybox', 'sleep', '600');
  n.ok('network', 'connect', '--alias', 'rover', net, 'roamer');
  const nets = JSON.parse(n.ok('inspect', 'roamer'))[0].NetworkSettings.Networks;
  assert.deepEqual(Object.keys(nets).sort(), ['bridge', net].sort());
  const ip = nets[net].IPAddress as string;
  assert.ok(n.ok('exec', 'roamer', 'ip', '-o', '-4', 'addr').includes(`inet ${ip}/24`));
  assert.match(n.ok('exec', 'base', 'sh', '-c', 'nslookup rover && ping -c1 -W3 roamer'), /1 packets received/);
  n.ok('network', 'disconnect', net, 'roamer');
  assert.ok(!n.ok('exec', 'roamer', 'ip', '-o', '-4', 'addr').includes(ip));
  assert.deepEqual(Object.keys(JSON.parse(n.ok('inspect', 'roamer'))[0].NetworkSettings.Networks), ['bridge']);
  assert.notEqual(n.docker('exec', 'base', 'nslookup', 'rover').status, 0);

  // predefined networks stay; a used network cannot go; prune removes unused ones
  assert.notEqual(n.docker('network', 'rm', 'bridge').status, 0);
  assert.notEqual(n.docker('network', 'rm', net).status, 0);
  assert.match(n.ok('network', 'prune', '-f'), new RegExp(internal));
  const names = n.ok('network', 'ls', '--format', '{{.Name}}').split('\n').sort();
  assert.deepEqual(names, ['bridge', 'host', 'none', net].sort());
});

test('cleanup: run/rm cycles and a daemon kill -9 leave no veth, rule, address or namespace behind', async (t) => {
  const n = await startNetDaemon(t);
  const net = unique('bc');
  const netId = n.ok('network', 'create', net);
  const bridge = `br-${netId.slice(0, 12)}`;
  for (let i = 0; i < 20; i++) n.ok('run', '--rm', '--network', net, '-p', '127.0.0.1::80', 'busybox', 'true');
  // veths are deleted on a worker thread (the kernel takes ~20 ms each), after the removal is reported
  for (let i = 0; i < 20 && vethsOn(bridge).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(vethsOn(bridge), []);
  // every published-port rule went with its container (published and removed in one batch each)
  assert.deepEqual(rulesMentioning(`-A ${chainPrefixFor(n.bridge)}-`).filter((l) => l.includes('berth:ctr:')), []);
  // a running container with a published port, then the daemon dies and the container with it
  const port = 20000 + Math.floor(Math.random() * 20000);
  const id = n.ok('run', '-d', '--network', net, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', httpd('k'));
  assert.equal(await httpGet('127.0.0.1', port), 'hello from k\n');
  assert.equal(vethsOn(bridge).length, 1);
  assert.ok(rulesMentioning(id).length > 0);
  const pid = JSON.parse(n.ok('inspect', id))[0].State.Pid as number;
  await n.d.kill();
  process.kill(pid, 'SIGKILL');
  const d2 = await startDaemon(t, { dir: n.d.dir, args: ['--bridge', n.bridge, '--bip', `${n.gateway}/24`] });
  // the container is found exited: its endpoint, rules, address and namespace are gone
  for (let i = 0; i < 50 && (vethsOn(bridge).length > 0 || rulesMentioning(id).length > 0); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(vethsOn(bridge), []);
  assert.deepEqual(rulesMentioning(id), []);
  const ipam = JSON.parse(readFileSync(join(d2.dataRoot, 'network', 'ipam.json'), 'utf8')) as { pools: Record<string, { allocations: Record<string, string> }> };
  for (const pool of Object.values(ipam.pools)) assert.deepEqual(Object.values(pool.allocations), ['gateway']);
  const held = JSON.parse(readFileSync(join(d2.execRoot, 'network', 'addresses.json'), 'utf8')) as { allocations: Record<string, Record<string, string>> };
  for (const byIp of Object.values(held.allocations)) assert.deepEqual(byIp, {});
  assert.deepEqual(readdirSync(join(d2.execRoot, 'netns')), []);
  const rm = await d2.request(`/containers/${id}?force=1`, { method: 'DELETE' });
  assert.equal(rm.status, 204);
  const del = await d2.request(`/networks/${net}`, { method: 'DELETE' });
  assert.equal(del.status, 204);
  await d2.stop();
});
