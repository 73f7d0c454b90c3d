import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidArgument } from '../lib/index.ts';
import { chooseHostPort, portRequests } from './network-ports.ts';

test('portRequests expands PortBindings and -P over EXPOSEd ports', () => {
  const reqs = portRequests(
    { '80/tcp': [{ hostIp: '127.0.0.1', hostPort: '8080' }, { hostIp: '', hostPort: '' }], '53/udp': [{ hostIp: '', hostPort: '5300-5310' }], '443': null },
    true,
    ['80/tcp', '9000/tcp', '53/udp'],
  );
  // integer-like keys ('443') come first in a JS object
  assert.deepEqual(reqs, [
    { key: '443/tcp', proto: 'tcp', containerPort: 443, hostIp: '' },
    { key: '80/tcp', proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPorts: [8080, 8080] },
    { key: '80/tcp', proto: 'tcp', containerPort: 80, hostIp: '' },
    { key: '53/udp', proto: 'udp', containerPort: 53, hostIp: '', hostPorts: [5300, 5310] },
    { key: '9000/tcp', proto: 'tcp', containerPort: 9000, hostIp: '' },
  ]);
  assert.deepEqual(portRequests({}, false, ['80/tcp']), []);
  assert.throws(() => portRequests({ '0/tcp': null }, false, []), isInvalidArgument);
  assert.throws(() => portRequests({ '80/tcp': [{ hostIp: '', hostPort: '9-1' }] }, false, []), isInvalidArgument);
});

test('chooseHostPort picks a free port, skips taken ones in a range, and refuses a taken fixed port', async () => {
  const random = await chooseHostPort({ key: '80/tcp', proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1' }, new Set());
  assert.ok(random > 0 && random < 65536);
  const ranged = await chooseHostPort({ key: '80/tcp', proto: 'udp', containerPort: 80, hostIp: '', hostPorts: [41000, 41002] }, new Set(['udp/41000', 'udp/41001']));
  assert.equal(ranged, 41002);
  await assert.rejects(chooseHostPort({ key: '80/tcp', proto: 'tcp', containerPort: 80, hostIp: '', hostPorts: [41005, 41005] }, new Set(['tcp/41005'])), isInvalidArgument);
});
