import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { chainExists, getLink, listLinks, listRoutes, listRules } from '../sys/index.ts';
import { BridgeFirewall, attachEndpoint, detachEndpoint, ensureBridge, removeBridge } from './index.ts';

function requireTools(): void {
  assert.equal(process.getuid?.(), 0, 'network tests create bridges, namespaces and iptables rules and must run as root');
  for (const tool of ['ip', 'iptables', 'nsenter', 'busybox']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    } catch {
      assert.fail(`${tool} must be installed (scripts/setup.sh installs iproute2, iptables, busybox-static)`);
    }
  }
}

function addNetns(name: string): string {
  execFileSync('ip', ['netns', 'add', name]);
  return `/run/netns/${name}`;
}

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/index.html', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function hostAddress(): string {
  const addrs = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'scope', 'global'], { encoding: 'utf8' })) as { ifname: string; addr_info: { local: string }[] }[];
  const a = addrs.find((l) => l.ifname !== 'lo' && !l.ifname.startsWith('bt') && l.addr_info.length > 0)?.addr_info[0]?.local;
  assert.ok(a, 'a global IPv4 address on the host');
  return a;
}

test('bridge, veth endpoints and published ports work between real namespaces', async (t) => {
  requireTools();
  const id = randomBytes(3).toString('hex');
  const bridge = `bt${id}`;
  const prefix = `BT${id.toUpperCase()}`;
  const second = 100 + (parseInt(id, 16) % 150);
  const subnet = `10.${second}.${parseInt(id.slice(0, 2), 16)}.0/24`;
  const base = subnet.slice(0, subnet.lastIndexOf('.'));
  const gateway = `${base}.1`;
  const ns1 = `bt${id}a`;
  const ns2 = `bt${id}b`;
  const fw = new BridgeFirewall({ prefix });
  const web = mkdtempSync(join(tmpdir(), 'berth-network-'));
  let httpd: ChildProcess | undefined;
  const veths: string[] = [];
  t.after(async () => {
    httpd?.kill('SIGKILL');
    await fw.teardown().catch(() => undefined);
    for (const v of veths) await detachEndpoint(v).catch(() => undefined);
    for (const ns of [ns1, ns2]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    }
    await removeBridge(bridge);
    rmSync(web, { recursive: true, force: true });
  });

  await ensureBridge({ name: bridge, subnet, gateway, mtu: 1400 });
  await ensureBridge({ name: bridge, subnet, gateway, mtu: 1400 });
  const br = await getLink(bridge);
  assert.equal(br?.mtu, 1400);
  assert.deepEqual(br?.addrs.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), [`${gateway}/24`], 'idempotent: one address');

  const path1 = addNetns(ns1);
  const path2 = addNetns(ns2);
  const e1 = await attachEndpoint({ netnsPath: path1, bridge, address: `${base}.2`, prefixLength: 24, gateway, mtu: 1400 });
  veths.push(e1.hostVeth);
  const e2 = await attachEndpoint({ netnsPath: path2, bridge, address: `${base}.3`, prefixLength: 24, gateway, mtu: 1400 });
  veths.push(e2.hostVeth);
  const eth0 = await getLink('eth0', { netns: path1 });
  assert.equal(eth0?.address, e1.mac);
  assert.deepEqual(eth0?.addrs.filter((a) => a.family === 'inet').map((a) => a.local), [`${base}.2`]);
  assert.equal((await getLink(e1.hostVeth))?.master, bridge);
  assert.deepEqual((await listLinks({ netns: path1 })).sort(), ['eth0', 'lo']);
  assert.ok((await listRoutes({ netns: path1 })).some((r) => r.dst === 'default' && r.gateway === gateway));

  // container to container and container to gateway over the bridge
  execFileSync('nsenter', [`--net=${path1}`, 'busybox', 'ping', '-c', '1', '-W', '3', `${base}.3`], { stdio: 'pipe' });
  execFileSync('nsenter', [`--net=${path2}`, 'busybox', 'ping', '-c', '1', '-W', '3', gateway], { stdio: 'pipe' });

  // a published port reaches an httpd in ns1, from a host address and from 127.0.0.1
  await fw.init();
  await fw.init();
  await fw.addNetwork({ bridge, subnet });
  writeFileSync(join(web, 'index.html'), `hello ${id}\n`);
  httpd = spawn('nsenter', [`--net=${path1}`, 'busybox', 'httpd', '-f', '-p', '8080', '-h', web], { stdio: 'ignore' });
  const hostPort = 20000 + (parseInt(id, 16) % 20000);
  await fw.publish({ owner: `c${id}`, proto: 'tcp', hostPort, containerIp: `${base}.2`, containerPort: 8080, bridge });
  assert.deepEqual(await fw.publishedOwners(), [`c${id}`]);
  const dnat = await listRules('nat', `${prefix}-DNAT`);
  assert.equal(dnat.length, 1);
  assert.match(dnat[0]!, new RegExp(`--dport ${hostPort} .*--to-destination ${base}\\.2:8080`));

  let body = '';
  for (let i = 0; i < 50 && body === ''; i++) {
    body = await get(hostAddress(), hostPort).catch(() => '');
    if (body === '') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(body, `hello ${id}\n`, 'through the host address');
  assert.equal(await get('127.0.0.1', hostPort), `hello ${id}\n`, 'through loopback');

  await fw.unpublish(`c${id}`);
  assert.deepEqual(await listRules('nat', `${prefix}-DNAT`), []);
  assert.deepEqual(await fw.publishedOwners(), []);
  await assert.rejects(get(hostAddress(), hostPort), 'unpublished port is closed');

  await fw.removeNetwork(bridge);
  assert.deepEqual(await listRules('nat', `${prefix}-POSTROUTING`), []);
  assert.deepEqual(await listRules('filter', `${prefix}-FORWARD`), []);
  await fw.teardown();
  assert.equal(await chainExists('nat', `${prefix}-DNAT`), false);
  assert.equal(await chainExists('filter', `${prefix}-FORWARD`), false);

  await detachEndpoint(e1.hostVeth);
  await detachEndpoint(e1.hostVeth);
  assert.equal(await getLink(e1.hostVeth), undefined);
  assert.deepEqual(await listLinks({ netns: path1 }), ['lo'], 'the peer went with the host end');
});

test('BridgeFirewall internal networks and isolation rules come and go with the network', async (t) => {
  requireTools();
  const id = randomBytes(3).toString('hex');
  const prefix = `BT${id.toUpperCase()}`;
  const fw = new BridgeFirewall({ prefix });
  t.after(() => fw.teardown());
  await fw.init();
  await fw.addNetwork({ bridge: `bti${id}`, subnet: '10.250.1.0/24', internal: true });
  await fw.addNetwork({ bridge: `btj${id}`, subnet: '10.250.2.0/24' });
  await fw.isolate(`bti${id}`, `btj${id}`);
  const once = { filter: await listRules('filter', `${prefix}-FORWARD`), nat: await listRules('nat', `${prefix}-POSTROUTING`) };
  // all of it again (as a restarted daemon does): nothing is added twice, nothing flushed
  await fw.init();
  await Promise.all([
    fw.addNetwork({ bridge: `bti${id}`, subnet: '10.250.1.0/24', internal: true }),
    fw.addNetwork({ bridge: `btj${id}`, subnet: '10.250.2.0/24' }),
    fw.isolate(`bti${id}`, `btj${id}`),
  ]);
  assert.deepEqual({ filter: await listRules('filter', `${prefix}-FORWARD`), nat: await listRules('nat', `${prefix}-POSTROUTING`) }, once);
  for (const [table, chain] of [['nat', 'PREROUTING'], ['nat', 'OUTPUT'], ['nat', 'POSTROUTING'], ['filter', 'FORWARD']] as const) {
    assert.equal((await listRules(table, chain)).filter((r) => r.endsWith(`-j ${prefix}-${chain === 'FORWARD' ? 'FORWARD' : chain === 'POSTROUTING' ? 'POSTROUTING' : 'DNAT'}`)).length, 1, `one jump from ${chain}`);
  }
  const rules = await listRules('filter', `${prefix}-FORWARD`);
  assert.ok(rules.some((r) => r.includes(`-i bti${id} ! -o bti${id}`) && r.endsWith('-j DROP')), 'internal: no way out');
  assert.ok(rules.some((r) => r.includes(`-i bti${id} -o btj${id}`) && r.endsWith('-j DROP')));
  assert.ok(rules.some((r) => r.includes(`-i btj${id} -o bti${id}`) && r.endsWith('-j DROP')));
  assert.equal((await listRules('nat', `${prefix}-POSTROUTING`)).filter((r) => r.includes(`bti${id}`)).length, 0, 'no masquerade for internal');
  await fw.removeNetwork(`bti${id}`);
  const left = await listRules('filter', `${prefix}-FORWARD`);
  assert.equal(left.filter((r) => r.includes(`bti${id}`)).length, 0, 'every rule naming the removed bridge is gone');
  assert.ok(left.some((r) => r.includes(`btj${id}`)));
});
