import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.ts';
import { berth, daemonOptions } from './harness.ts';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=berth-test-ca'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/CN=${who}`], dir);
    openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', '-extfile', `${who}.ext`], dir);
  }
  // Docker's default client file names in DOCKER_CERT_PATH.
  execFileSync('cp', [join(dir, 'client.pem'), join(dir, 'cert.pem')]);
  execFileSync('cp', [join(dir, 'client-key.pem'), join(dir, 'key.pem')]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('berth talks to berthd over tcp:// with TLS client certificates', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeCerts(dir);
  const port = await freePort();
  const d = await startDaemon(t, {
    ...daemonOptions,
    args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server-key.pem')],
  });
  assert.ok(d.host.startsWith('unix://'));
  const tcp = `tcp://127.0.0.1:${port}`;
  const flags = ['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'client.pem'), '--tlskey', join(dir, 'client-key.pem')];
  const viaFlags = await berth(tcp, [...flags, 'version', '--format', '{{.Server.ApiVersion}}']);
  assert.equal(viaFlags.code, 0, viaFlags.stderr);
  assert.equal(viaFlags.stdout, '1.45\n');
  const viaEnv = await berth(tcp, ['volume', 'ls', '-q'], { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  // Without a client certificate the daemon refuses the connection.
  const noCert = await berth(tcp, ['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), 'version', '--format', '{{.Server.ApiVersion}}'], { env: { DOCKER_CERT_PATH: join(dir, 'nowhere') } });
  assert.notEqual(noCert.code, 0);
  assert.doesNotMatch(noCert.stderr, /node:internal|\.ts:\d+/);
});
