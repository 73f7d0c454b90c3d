import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
