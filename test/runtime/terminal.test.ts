import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Scratch } from './helpers.ts';

const s = new Scratch('tty');
after(() => s.remove());

test('a terminal held by the monitor goes to the log and resizes', async () => {
  const rt = s.runtime;
  const id = s.id('pty');
  const logPath = join(s.dir, `${id}.log`);
  const bundle = s.bundle(['sh', '-c', 'tty; read x; stty size'], (spec) => {
    spec.process!.terminal = true;
    spec.process!.consoleSize = { height: 30, width: 100 };
  });
  await rt.create(id, { bundle, stdio: { mode: 'log', logPath, openStdin: true } });
  await rt.start(id);
  await rt.resize(id, 40, 120);
  const { connectAttach } = await import('../../src/sys/index.ts');
  const sock = await connectAttach(rt.paths(id).attach);
  sock.write('go\n');
  const exit = await rt.wait(id);
  sock.destroy();
  assert.equal(exit.exitCode, 0);
  const text = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { log: string }).log).join('');
  assert.match(text, /\/dev\/pts\/0/);
  assert.match(text, /40 120/);
  await rt.delete(id);
});

// Receives the pty master over SCM_RIGHTS as a runc console-socket consumer does (python3 here,
// since Node cannot receive fds), then prints what the container wrote to it.
const receiver = `
import socket, sys, os, array
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, flags, addr = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
for level, typ, data in anc:
    fds.frombytes(data[:fds.itemsize])
out = b""
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk: break
    out += chunk
sys.stdout.write(out.decode())
`;

test('--console-socket receives the pty master (runc compatible)', async () => {
  const rt = s.runtime;
  const id = s.id('console');
  const sockPath = join(s.dir, `${id}.sock`);
  const py = spawn('/usr/bin/python3', ['-c', receiver, sockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  py.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise((r) => py.on('close', r));
  for (let i = 0; i < 300 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(existsSync(sockPath));
  const bundle = s.bundle(['sh', '-c', 'echo hello from $(tty)'], (spec) => {
    spec.process!.terminal = true;
  });
  await rt.create(id, { bundle, consoleSocket: sockPath, stdio: { mode: 'null' } });
  await rt.start(id);
  assert.equal((await rt.wait(id)).exitCode, 0);
  await closed;
  assert.match(out, /hello from \/dev\/pts\/0/);
  await rt.delete(id);
});

test('attach feeds a large stdin to cat without deadlocking on its output', async () => {
  const rt = s.runtime;
  const id = s.id('cat');
  const logPath = join(s.dir, `${id}.log`);
  await rt.create(id, { bundle: s.bundle(['cat']), stdio: { mode: 'log', logPath, openStdin: true, stdinOnce: true } });
  const { connectAttach } = await import('../../src/sys/index.ts');
  const sock = await connectAttach(rt.paths(id).attach);
  let received = 0;
  sock.on('data', (d: Buffer) => (received += d.length));
  await rt.start(id);
  const line = 'x'.repeat(1023) + '\n';
  sock.end(line.repeat(1024)); // 1 MiB, far over the pipe buffers
  const closed = new Promise((r) => sock.on('close', r));
  const exit = await rt.wait(id);
  await closed;
  assert.equal(exit.exitCode, 0);
  const logged = readFileSync(logPath, 'utf8').trim().split('\n').length;
  assert.equal(logged, 1024);
  assert.ok(received > 1024 * 1024, `${received} bytes attached`);
  await rt.delete(id);
});
