import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlreadyExists, isNotFound } from '../../src/lib/index.ts';
import { attachEndpoint, detachEndpoint, ensureBridge, removeBridge } from '../../src/network/index.ts';
import { configureInterface, createNetworkNamespace, createVeth, ensureBridgeLink, removeLink, removeLinkSync, unmount } from '../../src/sys/index.ts';

interface IpLink {
  ifname: string;
  address?: string;
  mtu: number;
  master?: string;
  flags: string[];
  operstate: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

function ipJson<T>(args: string[], netns?: string): T {
  const argv = netns ? ['--net=' + netns, '--', 'ip', '-j', ...args] : ['ip', '-j', ...args];
  return JSON.parse(execFileSync(netns ? 'nsenter' : argv[0]!, netns ? argv : argv.slice(1), { encoding: 'utf8' }) || '[]') as T;
}

const linkNames = (netns?: string) => ipJson<IpLink[]>(['link', 'show'], netns).map((l) => l.ifname).sort();
const linkExists = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
const vethsOn = (bridge: string) => ipJson<IpLink[]>(['link', 'show', 'master', bridge]).map((l) => l.ifname);

/** A bridge with a unique name and subnet, a scratch directory for namespace files; all removed after. */
async function fixture(t: { after: (fn: () => Promise<void>) => void }) {
  assert.equal(process.getuid?.(), 0, 'netlink tests create bridges, namespaces and veth pairs and must run as root');
  const id = randomBytes(3).toString('hex');
  const bridge = `bn${id}`;
  const base = `10.${60 + (parseInt(id.slice(0, 2), 16) % 40)}.${parseInt(id.slice(2, 4), 16)}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-network-netlink-'));
  const namespaces: string[] = [];
  t.after(async () => {
    for (const p of namespaces) {
      try {
        unmount(p, { lazy: true, ignoreNotMounted: true });
      } catch {
        // not mounted
      }
    }
    await removeBridge(bridge);
    rmSync(dir, { recursive: true, force: true });
  });
  await ensureBridge({ name: bridge, subnet: `${base}.0/24`, gateway: `${base}.1` });
  const netns = (name: string) => {
    const p = join(dir, name);
    createNetworkNamespace(p);
    namespaces.push(p);
    return p;
  };
  return { id, bridge, base, dir, netns };
}

test('createNetworkNamespace binds a new namespace on a file and leaves the caller in its own', async (t) => {
  const f = await fixture(t);
  const before = readlinkSync('/proc/thread-self/ns/net');
  const p = f.netns('a');
  assert.equal(readlinkSync('/proc/thread-self/ns/net'), before, 'the calling thread is back in its namespace');
  const inside = execFileSync('nsenter', [`--net=${p}`, '--', 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim();
  assert.match(inside, /^net:\[\d+\]$/);
  assert.notEqual(inside, before, 'a namespace of its own');
  assert.deepEqual(linkNames(p), ['lo']);
  // released: the file can go and nothing holds the namespace any more
  unmount(p, { lazy: true });
  rmSync(p);
  assert.equal(existsSync(p), false);
  // a file that is not there is created
  const q = join(f.dir, 'sub-missing');
  createNetworkNamespace(q);
  assert.deepEqual(linkNames(q), ['lo']);
  unmount(q, { lazy: true });
  assert.throws(() => createNetworkNamespace(join(f.dir, 'no', 'such', 'dir')), (err: unknown) => isNotFound(err) && /create network namespace/.test(String(err)));
});

test('createVeth and configureInterface: address, routes, MAC and MTU inside the namespace, host end on the bridge', async (t) => {
  const f = await fixture(t);
  const p = f.netns('c');
  const host = `vn${f.id}`;
  createVeth(host, { peerName: 'eth0', netnsPath: p, bridge: f.bridge, peerMac: '02:42:0a:01:02:03', mtu: 1400 });
  configureInterface(p, 'eth0', { address: `${f.base}.7`, prefixLength: 24, gateway: `${f.base}.1` });
  const [eth0] = ipJson<IpLink[]>(['addr', 'show', 'dev', 'eth0'], p);
  assert.ok(eth0);
  assert.equal(eth0.address, '02:42:0a:01:02:03');
  assert.equal(eth0.mtu, 1400);
  assert.ok(eth0.flags.includes('UP'));
  assert.deepEqual(eth0.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), [`${f.base}.7/24`]);
  const [lo] = ipJson<IpLink[]>(['link', 'show', 'dev', 'lo'], p);
  assert.ok(lo?.flags.includes('UP'), 'lo is up');
  const routes = ipJson<{ dst: string; gateway?: string; dev?: string }[]>(['route', 'show'], p);
  assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === `${f.base}.1` && r.dev === 'eth0'), JSON.stringify(routes));
  assert.ok(routes.some((r) => r.dst === `${f.base}.0/24` && r.dev === 'eth0'));
  const [h] = ipJson<IpLink[]>(['link', 'show', 'dev', host]);
  assert.equal(h?.master, f.bridge);
  assert.equal(h?.mtu, 1400);
  assert.ok(h?.flags.includes('UP'));
  // the namespace reaches the bridge's address
  execFileSync('nsenter', [`--net=${p}`, '--', 'busybox', 'ping', '-c', '1', '-W', '2', `${f.base}.1`], { stdio: 'pipe' });
  // without a gateway: no default route
  const q = f.netns('d');
  createVeth(`${host}b`, { peerName: 'eth1', netnsPath: q, bridge: f.bridge });
  configureInterface(q, 'eth1', { address: `${f.base}.8`, prefixLength: 24 });
  assert.ok(!ipJson<{ dst: string }[]>(['route', 'show'], q).some((r) => r.dst === 'default'));
  await removeLink(host);
  removeLinkSync(`${host}b`);
  assert.deepEqual(linkNames(p), ['lo'], 'the peer went with the host end');
  assert.deepEqual(vethsOn(f.bridge), []);
});

test('createVeth errors name the step and leave nothing behind', async (t) => {
  const f = await fixture(t);
  const p = f.netns('e');
  const host = `vn${f.id}`;
  // the bridge is missing
  assert.throws(
    () => createVeth(host, { peerName: 'eth0', netnsPath: p, bridge: `no${f.id}` }),
    (err: unknown) => isNotFound(err) && String(err).includes(`create veth "${host}": bridge "no${f.id}": No such device`),
  );
  assert.equal(linkExists(host), false);
  assert.deepEqual(linkNames(p), ['lo']);
  // the host name is taken
  createVeth(host, { peerName: 'eth0', netnsPath: p, bridge: f.bridge });
  assert.throws(
    () => createVeth(host, { peerName: 'eth1', netnsPath: p, bridge: f.bridge }),
    (err: unknown) => isAlreadyExists(err) && String(err).includes(`create veth "${host}": RTM_NEWLINK: File exists`),
  );
  // the peer's name is taken in the namespace
  assert.throws(() => createVeth(`${host}x`, { peerName: 'eth0', netnsPath: p, bridge: f.bridge }), (err: unknown) => isAlreadyExists(err));
  assert.equal(linkExists(`${host}x`), false);
  assert.deepEqual(linkNames(p), ['eth0', 'lo']);
  assert.deepEqual(vethsOn(f.bridge), [host]);
  // the namespace file is not a namespace
  assert.throws(() => createVeth(`${host}y`, { peerName: 'eth0', netnsPath: f.dir, bridge: f.bridge }), /create veth/);
  assert.equal(linkExists(`${host}y`), false);
  // bad arguments are refused before the kernel is asked
  assert.throws(() => createVeth('x'.repeat(16), { peerName: 'eth0', netnsPath: p }), /interface name/);
  assert.throws(() => createVeth(`${host}z`, { peerName: 'eth9', netnsPath: p, peerMac: 'nope' }), /mac address/);
  assert.throws(() => configureInterface(p, 'eth0', { address: '10.1.1', prefixLength: 24 }), /address/);
  assert.throws(() => configureInterface(p, 'eth7', { address: '10.1.1.1', prefixLength: 24 }), (err: unknown) => isNotFound(err));
  // deleting what is not there
  await assert.rejects(removeLink(`no${f.id}`), (err: unknown) => isNotFound(err) && String(err).includes(`delete link "no${f.id}": RTM_DELLINK: No such device`));
  assert.throws(() => removeLinkSync(`no${f.id}`), (err: unknown) => isNotFound(err));
  await removeLink(host);
  assert.deepEqual(vethsOn(f.bridge), []);
});

test('attachEndpoint cleans up after a failed configuration; attach/detach cycles leak no veth', async (t) => {
  const f = await fixture(t);
  const p = f.netns('g');
  // a gateway outside the subnet cannot be routed: the pair must go again
  await assert.rejects(
    attachEndpoint({ netnsPath: p, bridge: f.bridge, address: `${f.base}.9`, prefixLength: 24, gateway: '192.0.2.1', hostVeth: `vn${f.id}` }),
    /RTM_NEWROUTE default/,
  );
  assert.equal(linkExists(`vn${f.id}`), false);
  assert.deepEqual(linkNames(p), ['lo']);
  for (let i = 0; i < 40; i++) {
    const q = f.netns(`cycle${i}`);
    const ep = await attachEndpoint({ netnsPath: q, bridge: f.bridge, address: `${f.base}.${10 + i}`, prefixLength: 24, gateway: `${f.base}.1` });
    assert.deepEqual(vethsOn(f.bridge), [ep.hostVeth]);
    await detachEndpoint(ep.hostVeth);
    await detachEndpoint(ep.hostVeth); // idempotent
    unmount(q, { lazy: true });
  }
  assert.deepEqual(vethsOn(f.bridge), []);
  assert.equal(ipJson<IpLink[]>(['link', 'show', 'type', 'veth']).filter((l) => l.master === f.bridge).length, 0);
});

test('ensureBridgeLink creates a bridge up with its address, and again changes nothing', async (t) => {
  assert.equal(process.getuid?.(), 0, 'netlink tests create bridges and must run as root');
  const name = `bn${randomBytes(3).toString('hex')}`;
  t.after(() => removeLink(name).catch(() => undefined));
  for (let i = 0; i < 2; i++) {
    ensureBridgeLink(name, { address: '10.252.7.1', prefixLength: 24, mtu: 1450 });
    const [br] = ipJson<(IpLink & { linkinfo?: { info_kind: string } })[]>(['-d', 'addr', 'show', 'dev', name]);
    assert.equal(br?.linkinfo?.info_kind, 'bridge');
    assert.equal(br?.mtu, 1450);
    assert.ok(br?.flags.includes('UP'));
    assert.deepEqual(br?.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['10.252.7.1/24']);
  }
  assert.throws(() => ensureBridgeLink(name, { address: '10.252.7', prefixLength: 24 }), /set up bridge .*: address/);
});
