import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { makeHarness } from './harness.ts';

/** A hijacked-connection stand-in: `input` is already queued (and ended) before start. */
function clientConn(input: string): { conn: Duplex; output: () => string } {
  const out: Buffer[] = [];
  const conn = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      cb();
    },
  });
  conn.push(Buffer.from(input));
  conn.push(null);
  const output = () => {
    const frames = Buffer.concat(out);
    let stdout = '';
    for (let o = 0; o + 8 <= frames.length; ) {
      const size = frames.readUInt32BE(o + 4);
      if (frames[o] === 1) stdout += frames.subarray(o + 8, o + 8 + size).toString();
      o += 8 + size;
    }
    return stdout;
  };
  return { conn, output };
}

test('ExecManager.start delivers stdin that ends immediately, every time, and removes exec dirs', async (t) => {
  const h = makeHarness('bc-execin-');
  t.after(() => h.close());
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sleep', '120'] }) });
  await h.svc.start(id);
  for (let i = 0; i < 20; i++) {
    const execId = h.execs.create(id, {
      cmd: ['cat'], env: [], user: '', workingDir: '', tty: false, privileged: false,
      attachStdin: true, attachStdout: true, attachStderr: true, detachKeys: '',
    });
    const { conn, output } = clientConn(`abc ${i}`);
    await h.execs.start(execId, conn);
    assert.equal(output(), `abc ${i}`, `attempt ${i}`);
    assert.equal(h.execs.get(execId).exitCode, 0);
  }
  // Finished execs leave no monitor directories behind.
  const execDir = join(h.root, 'rt', id.slice(0, 32), 'exec');
  for (let i = 0; i < 50 && existsSync(execDir) && readdirSync(execDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(existsSync(execDir) ? readdirSync(execDir) : [], []);
});
