import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpGet, httpd, startNetDaemon, unique, type NetDaemon } from './harness.ts';

// one daemon for this file's tests (each uses names of its own)
let n: NetDaemon;
const cleanups: (() => Promise<void>)[] = [];
before(async () => {
  n = await startNetDaemon({ after: (fn) => cleanups.push(fn) });
});
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

test('user-defined network: containers reach each other by name, alias and network-scoped name', async () => {
  const net = unique('bn');
  const netId = n.ok('network', 'create', net);
  assert.match(netId, /^[0-9a-f]{64}$/);
  n.ok('run', '-d', '--name', 'web', '--network', net, '--network-alias', 'www', 'busybox', 'sh', '-c', httpd('web'));
  const out = n.ok(
    'run', '--rm', '--network', net, 'busybox', 'sh', '-c',
    `nslookup web && nslookup www && ping -c1 -W3 web && for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/ && break; sleep 0.2; done && wget -qO- http://www.${net}/`,
  );
  assert.match(out, /hello from web\nhello from web/);
  const inspect = JSON.parse(n.ok('inspect', 'web'))[0];
  const ep = inspect.NetworkSettings.Networks[net];
  assert.equal(ep.NetworkID, netId);
  assert.match(ep.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(ep.MacAddress, /^02:42:/);
  assert.ok(ep.Aliases.includes('www'));
  assert.ok(ep.EndpointID.length === 64);
  const netInspect = JSON.parse(n.ok('network', 'inspect', net))[0];
  assert.equal(netInspect.Containers[inspect.Id].IPv4Address, `${ep.IPAddress}/${ep.IPPrefixLen}`);
  // the resolver is Berth's DNS server on the gateway, names outside the network go upstream
  const resolv = n.ok('exec', 'web', 'cat', '/etc/resolv.conf');
  assert.match(resolv, new RegExp(`nameserver ${ep.Gateway.replace(/\./g, '\\.')}`));
  assert.equal(n.docker('network', 'rm', net).status, 1, 'a network in use cannot be removed');
});

test('default bridge: addresses from --bip, no name resolution, --ip/--mac-address/--add-host/--dns', async () => {
  const prefix = n.gateway.replace(/\.1$/, '');
  n.ok('run', '-d', '--name', 'a1', '--ip', `${prefix}.77`, '--mac-address', '02:42:aa:bb:cc:dd', 'busybox', 'sh', '-c', httpd('a1'));
  const a1 = JSON.parse(n.ok('inspect', 'a1'))[0].NetworkSettings;
  assert.equal(a1.IPAddress, `${prefix}.77`);
  assert.equal(a1.Gateway, n.gateway);
  assert.equal(a1.MacAddress, '02:42:aa:bb:cc:dd');
  assert.equal(a1.Networks.bridge.IPAddress, `${prefix}.77`);
  const r = n.docker('run', '--rm', 'busybox', 'nslookup', 'a1');
  assert.notEqual(r.status, 0, `the default bridge must not resolve container names: ${r.stdout}`);
  const out = n.ok(
    'run', '--rm', '--add-host', 'gw:host-gateway', '--add-host', 'x.test:10.9.9.9', '--dns', '10.1.2.3', '--dns-search', 'ex.test',
    '--dns-option', 'ndots:3', '--hostname', 'h1', 'busybox', 'sh', '-c',
    `cat /etc/hosts /etc/resolv.conf /etc/hostname; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://${prefix}.77/ && break; sleep 0.2; done`,
  );
  assert.match(out, new RegExp(`${n.gateway.replace(/\./g, '\\.')}\\tgw`));
  assert.match(out, /10\.9\.9\.9\tx\.test/);
  assert.match(out, /nameserver 10\.1\.2\.3/);
  assert.match(out, /search ex\.test/);
  assert.match(out, /options ndots:3/);
  assert.match(out, /\th1\n/);
  assert.match(out, /hello from a1/);
});

test('published ports: -p 127.0.0.1:port:80 and -P serve the host, docker port and ps show them', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  n.ok('run', '-d', '--name', 'p1', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', httpd('p1'));
  assert.equal(await httpGet('127.0.0.1', port), 'hello from p1\n');
  assert.equal(n.ok('port', 'p1'), `80/tcp -> 127.0.0.1:${port}`);
  n.ok('run', '-d', '--name', 'p2', '-P', '--expose', '80', 'busybox', 'sh', '-c', httpd('p2'));
  const line = n.ok('port', 'p2', '80/tcp');
  const m = /^0\.0\.0\.0:(\d+)$/m.exec(line);
  assert.ok(m, `docker port p2: ${line}`);
  assert.equal(await httpGet('127.0.0.1', Number(m[1])), 'hello from p2\n');
  assert.match(n.ok('ps', '--format', '{{.Names}} {{.Ports}}'), new RegExp(`p2 0\\.0\\.0\\.0:${m[1]}->80/tcp`));
  // stopped: the rules are gone
  n.ok('stop', '-t', '0', 'p1');
  await assert.rejects(httpGet('127.0.0.1', port, '/', 2));
});
