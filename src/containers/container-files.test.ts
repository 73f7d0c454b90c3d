import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extraHostLine, hostsFile, resolvConf } from './container-files.ts';

test('hostsFile: defaults plus extra hosts; host network uses the host file', () => {
  const h = hostsFile({ hostNetwork: false, extraHosts: ['db:10.0.0.2', 'v6:[::2]'] });
  assert.ok(h.startsWith('127.0.0.1\tlocalhost\n'));
  assert.ok(h.endsWith('10.0.0.2\tdb\n::2\tv6\n'));
  assert.equal(hostsFile({ hostNetwork: true, hostHosts: '127.0.0.1 me\n', extraHosts: [] }), '127.0.0.1 me\n');
  assert.equal(extraHostLine('a=1.2.3.4'), '1.2.3.4\ta');
});

test('resolvConf drops loopback servers, applies --dns overrides', () => {
  const host = 'nameserver 127.0.0.53\nsearch corp.example\noptions edns0\n';
  assert.equal(resolvConf({ hostNetwork: false, hostResolv: host, dns: [], dnsSearch: [], dnsOptions: [] }),
    'nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch corp.example\noptions edns0\n');
  assert.equal(resolvConf({ hostNetwork: false, hostResolv: 'nameserver 10.1.1.1\n', dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOptions: ['ndots:2'] }),
    'nameserver 1.1.1.1\nsearch a.b\noptions ndots:2\n');
  assert.equal(resolvConf({ hostNetwork: true, hostResolv: host, dns: [], dnsSearch: [], dnsOptions: [] }), host);
});
