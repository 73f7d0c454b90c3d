import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

test('installCrashGuards keeps the process alive through a throwing timer, listener and an unhandled rejection', () => {
  const guards = fileURLToPath(new URL('./crash-guards.ts', import.meta.url));
  const lib = fileURLToPath(new URL('../lib/index.ts', import.meta.url));
  const script = `
    import { EventEmitter } from 'node:events';
    import { installCrashGuards } from ${JSON.stringify(guards)};
    import { createLogger } from ${JSON.stringify(lib)};
    installCrashGuards(process, createLogger({ format: 'json' }));
    setTimeout(() => { throw new Error('timer boom'); }, 10);
    const bus = new EventEmitter();
    bus.on('event', () => { throw new Error('listener boom'); });
    setTimeout(() => bus.emit('event'), 20);
    void Promise.reject(new Error('rejected boom'));
    setTimeout(() => process.stdout.write('still alive\\n'), 100);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'still alive\n');
  const logged = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string; error: string });
  assert.equal(logged.filter((l) => l.level === 'error').length, 3);
  for (const what of ['timer boom', 'listener boom', 'rejected boom']) assert.ok(logged.some((l) => l.error.includes(what)), what);
});

test('a daemon whose stderr reader is gone drops its log lines instead of looping on EPIPE', async () => {
  const guards = fileURLToPath(new URL('./crash-guards.ts', import.meta.url));
  const lib = fileURLToPath(new URL('../lib/index.ts', import.meta.url));
  // the script logs errors for a while with nobody reading its stderr, then reports on stdout how
  // many uncaught exceptions it saw (each would be logged, fail the same way, and so on)
  const script = `
    import { installCrashGuards } from ${JSON.stringify(guards)};
    import { createLogger } from ${JSON.stringify(lib)};
    let uncaught = 0;
    process.on('uncaughtException', () => uncaught++);
    const log = createLogger({ format: 'json' });
    installCrashGuards(process, log, [process.stdout, process.stderr]);
    const t = setInterval(() => log.error('a line nobody reads'), 5);
    setTimeout(() => { clearInterval(t); process.stdout.write(String(uncaught) + '\\n'); }, 500);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.destroy(); // the reader of berthd's stderr went away
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  // without the guard the process loops on its own log lines and never gets to exit
  const stuck = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(stuck);
  assert.equal(code, 0, 'the process got stuck logging to a closed stderr');
  assert.equal(out.trim(), '0');
});
