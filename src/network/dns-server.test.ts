import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DnsServer, attachEndpoint, detachEndpoint, ensureBridge, removeBridge } from './index.ts';

function query(name: string, type: number, id = 0x1234): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, type >> 8, type & 255, 0, 1])]);
}

function ask(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('no dns answer'));
    }, 5000);
    sock.on('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(m);
    });
    sock.send(msg, port, '127.0.0.1');
  });
}

function answers(m: Buffer): { id: number; rcode: number; ips: string[] } {
  const an = m.readUInt16BE(6);
  const rcode = m.readUInt16BE(2) & 15;
  if (m.readUInt16BE(4) === 0) return { id: m.readUInt16BE(0), rcode, ips: [] };
  let off = 12;
  while (off < m.length && m[off] !== 0) off += m[off]! + 1;
  off += 5;
  const ips: string[] = [];
  for (let i = 0; i < an; i++) {
    off += 2; // name pointer
    const rdlen = m.readUInt16BE(off + 8);
    ips.push([...m.subarray(off + 10, off + 10 + rdlen)].join('.'));
    off += 10 + rdlen;
  }
  return { id: m.readUInt16BE(0), rcode, ips };
}

test('DnsServer answers network names and forwards the rest upstream', async (t) => {
  const upstream = new DnsServer({ lookup: (n) => (n === 'example.test' ? ['1.2.3.4'] : undefined), upstream: [] });
  const upPort = await upstream.listen('127.0.0.1', 0);
  const records: Record<string, string[]> = { web: ['10.0.0.5'], 'db.mynet': ['10.0.0.6', '10.0.0.7'] };
  const server = new DnsServer({ lookup: (n) => records[n], upstream: [`127.0.0.1:${upPort}`] });
  const port = await server.listen('127.0.0.1', 0);
  const dead = new DnsServer({ lookup: () => undefined, upstream: ['127.0.0.1:9'], upstreamTimeoutMs: 200 });
  const deadPort = await dead.listen('127.0.0.1', 0);
  t.after(async () => {
    await server.close();
    await upstream.close();
    await dead.close();
  });
  assert.deepEqual(answers(await ask(port, query('web', 1, 7))), { id: 7, rcode: 0, ips: ['10.0.0.5'] });
  assert.deepEqual(answers(await ask(port, query('WEB', 1))).ips, ['10.0.0.5'], 'case-insensitive');
  assert.deepEqual(answers(await ask(port, query('db.mynet', 1))).ips, ['10.0.0.6', '10.0.0.7']);
  assert.deepEqual(answers(await ask(port, query('web', 28))), { id: 0x1234, rcode: 0, ips: [] }, 'AAAA of a known name: no records');
  assert.deepEqual(answers(await ask(port, query('example.test', 1, 99))), { id: 99, rcode: 0, ips: ['1.2.3.4'] }, 'forwarded');
  assert.equal(answers(await ask(port, query('nowhere.test', 1))).rcode, 3, 'upstream says NXDOMAIN');
  assert.equal(answers(await ask(deadPort, query('x.test', 1))).rcode, 2, 'SERVFAIL when no upstream answers');
  const bad = Buffer.from(query('web', 1));
  bad[2] = 0x81; // a response, not a query
  assert.equal(answers(await ask(port, bad)).rcode, 4, 'NOTIMP for what is not a plain query');
});

test('DnsServer on a bridge gateway serves busybox nslookup in a network namespace', async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test creates a bridge and a network namespace and must run as root');
  const id = randomBytes(3).toString('hex');
  const bridge = `bd${id}`;
  const ns = `bd${id}`;
  const base = `10.252.${parseInt(id.slice(0, 2), 16)}`;
  const server = new DnsServer({ lookup: (n) => (n === 'web' ? [`${base}.9`] : undefined), upstream: [] });
  let hostVeth = '';
  t.after(async () => {
    await server.close();
    if (hostVeth) await detachEndpoint(hostVeth);
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
    } catch {
      // gone
    }
    await removeBridge(bridge);
  });
  await ensureBridge({ name: bridge, subnet: `${base}.0/24`, gateway: `${base}.1` });
  execFileSync('ip', ['netns', 'add', ns]);
  hostVeth = (await attachEndpoint({ netnsPath: `/run/netns/${ns}`, bridge, address: `${base}.2`, prefixLength: 24, gateway: `${base}.1` })).hostVeth;
  await server.listen(`${base}.1`, 53);
  const out = await new Promise<string>((resolve, reject) => {
    // async, so this process keeps serving DNS while busybox asks
    import('node:child_process').then(({ execFile }) =>
      execFile('nsenter', [`--net=/run/netns/${ns}`, 'busybox', 'nslookup', '-type=a', 'web', `${base}.1`], { timeout: 10000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stdout}${stderr}`)) : resolve(stdout),
      ),
    );
  });
  assert.match(out, new RegExp(`Address:\\s+${base.replaceAll('.', '\\.')}\\.9`));
});
