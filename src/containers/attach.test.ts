import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Duplex } from 'node:stream';
import { DetachScanner, parseDetachKeys, relay } from './attach.ts';

test('parseDetachKeys reads docker key specs', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x,ctrl-@')], [1, 120, 0]);
  assert.throws(() => parseDetachKeys('ctrl-ab'), /Unknown character/);
});

test('DetachScanner holds partial matches and detaches on the full sequence', () => {
  const s = new DetachScanner(Buffer.from([16, 17]));
  assert.deepEqual(s.push(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(s.push(Buffer.from('c')), { forward: Buffer.from('\x10c'), detach: false });
  assert.deepEqual(s.push(Buffer.from('x\x10')).forward, Buffer.from('x'));
  assert.equal(s.push(Buffer.from('\x11rest')).detach, true);
});

test('relay frames output, forwards stdin and detaches on keys', async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const written: Buffer[] = [];
  const input = new PassThrough();
  const conn = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  input.on('data', (b) => conn.push(b));
  let closed = false;
  const done = relay(conn, { stdin, stdout, stderr, close: () => (closed = true) }, { tty: false, stdin: true, stdout: true, stderr: true, closeStdinOnEnd: true });
  stdout.write('out');
  stderr.write('err');
  const got: Buffer[] = [];
  stdin.on('data', (b) => got.push(b));
  input.write('hello');
  await new Promise((r) => setTimeout(r, 20));
  input.write('\x10\x11');
  assert.equal(await done, 'detached');
  assert.equal(closed, true);
  assert.equal(Buffer.concat(got).toString(), 'hello');
  const all = Buffer.concat(written);
  assert.deepEqual([...all.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 3]);
  assert.equal(all.subarray(8, 11).toString(), 'out');
  assert.equal(all[11], 2);
});
