import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.ts';

function openssl(cwd: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as docker's TLS guide makes them. */
function makeCerts(dir: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=berth-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage = clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    openssl(dir, 'x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${who}-cert.pem`, '-days', '1', '-extfile', `${who}.ext`);
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function get(port: number, certs: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/_ping', ...certs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('berthd serves TCP only with TLS client certificates (--tlsverify)', async (t) => {
  const d0 = await startDaemon(t);
  const dir = d0.dir;
  await d0.stop();
  makeCerts(dir);
  const port = await freePort();
  const d = await startDaemon(t, {
    dir,
    args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'server-cert.pem'), '--tlskey', join(dir, 'server-key.pem')],
  });
  const ca = readFileSync(join(dir, 'ca.pem'));
  const ok = await get(port, { ca, cert: readFileSync(join(dir, 'client-cert.pem')), key: readFileSync(join(dir, 'client-key.pem')) });
  assert.deepEqual(ok, { status: 200, body: 'OK' });
  await assert.rejects(get(port, { ca }), 'a client without a certificate is refused');

  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') };
  delete env['DOCKER_HOST'];
  const docker = spawnSync(
    '/usr/local/bin/docker',
    ['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'client-cert.pem'), '--tlskey', join(dir, 'client-key.pem'), '-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.APIVersion}}'],
    { encoding: 'utf8', env },
  );
  assert.equal(docker.status, 0, docker.stderr);
  assert.equal(docker.stdout.trim(), '1.45');
  assert.equal((await d.request('/_ping')).status, 200, 'the unix socket is served too');
});
