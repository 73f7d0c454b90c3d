import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { isInvalidArgument } from '../lib/index.ts';
import { renderHosts, renderResolvConf, parseResolvConf, allocateHostPort, isHostPortFree } from './index.ts';

test('renderHosts writes docker\'s defaults, extra hosts and the container entry', () => {
  const text = renderHosts({
    hostname: 'web',
    domainname: 'example.com',
    addresses: ['172.18.0.2'],
    aliases: ['api', 'web'],
    extraHosts: ['db:10.0.0.5', 'gw:host-gateway', 'v6:[::1]'],
    hostGatewayIp: '172.18.0.1',
  });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], '127.0.0.1\tlocalhost');
  assert.equal(lines[1], '::1\tlocalhost ip6-localhost ip6-loopback');
  assert.deepEqual(lines.slice(6), ['10.0.0.5\tdb', '172.18.0.1\tgw', '::1\tv6', '172.18.0.2\tweb.example.com web api']);
  assert.throws(() => renderHosts({ hostname: 'x', extraHosts: ['gw:host-gateway'] }), /no host-gateway address/);
  assert.throws(() => renderHosts({ hostname: 'x', extraHosts: ['nocolon'] }), isInvalidArgument);
  assert.equal(renderHosts({ hostname: 'x' }).split('\n').length, 7, 'no own entry without an address');
});

test('renderResolvConf drops localhost servers and applies --dns options', () => {
  const host = '# generated\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch corp.example\noptions edns0 trust-ad\n';
  assert.deepEqual(parseResolvConf(host), { nameservers: ['127.0.0.53', '10.1.1.1'], search: ['corp.example'], options: ['edns0', 'trust-ad'] });
  assert.equal(renderResolvConf(host).content, 'nameserver 10.1.1.1\nsearch corp.example\noptions edns0 trust-ad\n');
  assert.equal(renderResolvConf('nameserver 127.0.0.53\n').content, 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  const custom = renderResolvConf(host, { dns: ['1.1.1.1'], dnsSearch: ['a.test', 'b.test'], dnsOptions: ['ndots:2'] });
  assert.equal(custom.content, 'nameserver 1.1.1.1\nsearch a.test b.test\noptions ndots:2\n');
  const embedded = renderResolvConf(host, { embeddedDns: '127.0.0.11' });
  assert.equal(embedded.content, 'nameserver 127.0.0.11\nsearch corp.example\noptions edns0 trust-ad ndots:0\n');
  assert.deepEqual(embedded.upstream, ['10.1.1.1']);
  assert.equal(renderResolvConf(host, { dnsSearch: ['.'] }).content.includes('search'), false);
});

test('allocateHostPort returns a port the kernel considers free', async () => {
  const tcp = await allocateHostPort('tcp', '127.0.0.1');
  assert.ok(tcp > 0 && tcp < 65536);
  assert.equal(await isHostPortFree(tcp, '127.0.0.1'), true);
  const udp = await allocateHostPort('udp');
  assert.ok(udp > 0 && udp < 65536);
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const busy = (server.address() as { port: number }).port;
  assert.equal(await isHostPortFree(busy, '127.0.0.1'), false);
  await new Promise((r) => server.close(r));
});
