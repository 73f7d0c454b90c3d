import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isConflict } from '../lib/index.ts';
import { getLink, listLinks } from '../sys/index.ts';
import { BridgeFirewall, BridgeNetworks, Ipam, detachEndpoint, removeBridge } from './index.ts';
import type { BridgeNetwork } from './index.ts';

test('BridgeNetworks creates, connects, publishes, reconciles and removes a network', async (t) => {
  assert.equal(process.getuid?.(), 0, 'network tests create bridges, namespaces and iptables rules and must run as root');
  const id = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'berth-network-'));
  const fw = new BridgeFirewall({ prefix: `BN${id.toUpperCase()}` });
  const networks = new BridgeNetworks({ ipam: new Ipam(join(dir, 'ipam.json')), firewall: fw });
  const net: BridgeNetwork = { id: `net-${id}`, bridge: `bn${id}`, subnet: `10.251.${parseInt(id.slice(0, 2), 16)}.0/24`, mtu: 1450 };
  const nsNames = [`bn${id}a`, `bn${id}b`];
  const veths: string[] = [];
  t.after(async () => {
    for (const v of veths) await detachEndpoint(v).catch(() => undefined);
    for (const ns of nsNames) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
      } catch {
        // gone
      }
    }
    await fw.teardown().catch(() => undefined);
    await removeBridge(net.bridge);
    rmSync(dir, { recursive: true, force: true });
  });
  const { gateway } = await networks.create(net, { isolateFrom: [`bn${id}x`] });
  assert.equal(gateway, net.subnet.replace(/0\/24$/, '1'));
  assert.equal((await getLink(net.bridge))?.mtu, 1450);

  const paths = nsNames.map((n) => {
    execFileSync('ip', ['netns', 'add', n]);
    return `/run/netns/${n}`;
  });
  const a = await networks.connect(net, { owner: `ca${id}`, netnsPath: paths[0]! });
  veths.push(a.hostVeth);
  const fixed = net.subnet.replace(/0\/24$/, '77');
  const b = await networks.connect(net, { owner: `cb${id}`, netnsPath: paths[1]!, ip: fixed });
  veths.push(b.hostVeth);
  assert.equal(a.address, net.subnet.replace(/0\/24$/, '2'));
  assert.equal(b.address, fixed);
  assert.equal(a.prefixLength, 24);
  await assert.rejects(networks.connect(net, { owner: `cc${id}`, netnsPath: paths[1]!, ip: fixed }), isConflict);
  execFileSync('nsenter', [`--net=${paths[0]}`, 'busybox', 'ping', '-c', '1', '-W', '3', b.address], { stdio: 'pipe' });

  await networks.publish([
    { owner: `ca${id}`, proto: 'tcp', hostPort: 31000 + (parseInt(id, 16) % 1000), containerIp: a.address, containerPort: 80, bridge: net.bridge },
    { owner: `cb${id}`, proto: 'udp', hostPort: 32000 + (parseInt(id, 16) % 1000), containerIp: b.address, containerPort: 53, bridge: net.bridge },
  ]);
  assert.deepEqual(await fw.publishedOwners(), [`ca${id}`, `cb${id}`]);
  await assert.rejects(networks.remove(net), isConflict, 'in use');

  // the daemon restarts and only container a still exists
  const cleaned = await networks.reconcile(new Set([`ca${id}`]));
  assert.deepEqual(cleaned, [`cb${id}`]);
  assert.deepEqual(await fw.publishedOwners(), [`ca${id}`]);

  await networks.unpublish(`ca${id}`);
  await networks.disconnect(net, a);
  await networks.disconnect(net, b);
  assert.deepEqual(await listLinks({ netns: paths[0]! }), ['lo']);
  await networks.remove(net);
  assert.equal(await getLink(net.bridge), undefined);
  assert.deepEqual(await fw.publishedOwners(), []);
});
