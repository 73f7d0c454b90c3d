import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConflict, isInvalidArgument } from '../lib/index.ts';
import { Ipam, parseSubnet, macForIp, subnetsOverlap, firstHost, ipToInt, intToIp } from './index.ts';

function tempIpam(t: { after(fn: () => void): void }): { ipam: Ipam; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-network-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ipam.json');
  return { ipam: new Ipam(file), file };
}

test('cidr helpers parse, compare and format IPv4', () => {
  assert.equal(intToIp(ipToInt('10.1.2.3')), '10.1.2.3');
  assert.equal(ipToInt('255.255.255.255'), 0xffffffff);
  assert.deepEqual(parseSubnet('172.18.0.0/16'), { network: ipToInt('172.18.0.0'), prefix: 16 });
  assert.throws(() => parseSubnet('172.18.0.1/16'), /host bits set/);
  assert.throws(() => parseSubnet('300.1.1.0/24'), isInvalidArgument);
  assert.throws(() => ipToInt('1.2.3'), isInvalidArgument);
  assert.equal(subnetsOverlap(parseSubnet('10.0.0.0/8'), parseSubnet('10.5.0.0/16')), true);
  assert.equal(subnetsOverlap(parseSubnet('10.0.0.0/16'), parseSubnet('10.1.0.0/16')), false);
  assert.equal(firstHost(parseSubnet('172.17.0.0/16')), '172.17.0.1');
  assert.equal(macForIp('172.17.0.2'), '02:42:ac:11:00:02');
});

test('Ipam allocates without duplicates and persists across instances', (t) => {
  const { ipam, file } = tempIpam(t);
  const pool = ipam.addPool('n1', { subnet: '10.88.0.0/29' });
  assert.equal(pool.gateway, '10.88.0.1');
  const got = ['a', 'b', 'c', 'd', 'e'].map((o) => ipam.allocate('n1', o));
  assert.deepEqual(got, ['10.88.0.2', '10.88.0.3', '10.88.0.4', '10.88.0.5', '10.88.0.6']);
  assert.throws(() => ipam.allocate('n1', 'f'), /no free address/);
  const again = new Ipam(file);
  again.release('n1', '10.88.0.4');
  assert.equal(ipam.allocate('n1', 'g'), '10.88.0.4', 'released address reused');
  assert.deepEqual(again.releaseOwner('a'), { n1: ['10.88.0.2'] });
  assert.equal(ipam.allocate('n1', 'h', { ip: '10.88.0.2' }), '10.88.0.2');
  assert.throws(() => ipam.allocate('n1', 'i', { ip: '10.88.0.2' }), isConflict);
  assert.throws(() => ipam.allocate('n1', 'i', { ip: '10.88.0.7' }), /not a host address/, 'broadcast refused');
  assert.throws(() => ipam.allocate('n1', 'i', { ip: '10.88.0.1' }), isConflict, 'gateway taken');
  assert.throws(() => ipam.removePool('n1'), isConflict);
  ipam.removePool('n1', { force: true });
  assert.equal(ipam.pool('n1'), undefined);
});

test('Ipam refuses overlapping subnets and honours ip-range and gateway', (t) => {
  const { ipam } = tempIpam(t);
  ipam.addPool('a', { subnet: '10.90.0.0/16', gateway: '10.90.255.254', ipRange: '10.90.5.0/24' });
  assert.throws(() => ipam.addPool('b', { subnet: '10.90.3.0/24' }), isConflict);
  assert.throws(() => ipam.addPool('c', { subnet: '10.91.0.0/24', gateway: '10.92.0.1' }), isInvalidArgument);
  assert.throws(() => ipam.addPool('d', { subnet: '10.93.0.0/24', ipRange: '10.94.0.0/25' }), isInvalidArgument);
  assert.equal(ipam.allocate('a', 'x'), '10.90.5.0', 'first address of the range (not the subnet network)');
  assert.equal(ipam.allocate('a', 'y'), '10.90.5.1');
  assert.equal(ipam.pool('a')?.allocations['10.90.255.254'], 'gateway');
});

test('Ipam with a runtime file keeps allocations there, pools durable, and reads a torn one as empty', (t) => {
  const { file } = tempIpam(t);
  const runtimeFile = `${file}.runtime`;
  const ipam = new Ipam(file, { runtimeFile });
  ipam.addPool('n1', { subnet: '10.89.0.0/24' });
  const pools = readFileSync(file, 'utf8');
  assert.equal(ipam.allocate('n1', 'a'), '10.89.0.2');
  assert.equal(ipam.allocate('n1', 'b'), '10.89.0.3');
  assert.equal(readFileSync(file, 'utf8'), pools, 'the pools file is not rewritten for an allocation');
  assert.deepEqual(JSON.parse(readFileSync(runtimeFile, 'utf8')), { version: 1, allocations: { n1: { '10.89.0.2': 'a', '10.89.0.3': 'b' } } });
  // another instance sees them; a release shrinks the runtime file in place
  const again = new Ipam(file, { runtimeFile });
  assert.deepEqual(again.pool('n1')?.allocations, { '10.89.0.1': 'gateway', '10.89.0.2': 'a', '10.89.0.3': 'b' });
  again.releaseOwner('a');
  assert.deepEqual(JSON.parse(readFileSync(runtimeFile, 'utf8')).allocations, { n1: { '10.89.0.3': 'b' } });
  assert.equal(ipam.allocate('n1', 'c'), '10.89.0.2', 'the first instance sees the release');
  // torn by a power loss: nothing held, the pools stay
  writeFileSync(runtimeFile, '{"version":1,"alloc');
  const fresh = new Ipam(file, { runtimeFile });
  assert.deepEqual(fresh.pool('n1')?.allocations, { '10.89.0.1': 'gateway' });
  assert.equal(fresh.allocate('n1', 'd'), '10.89.0.2');
});
