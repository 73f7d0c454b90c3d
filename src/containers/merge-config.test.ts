import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandOf, mergeEnv, mergeImageConfig, type ImageRuntimeConfig } from './merge-config.ts';
import { defaultContainerConfig } from './defaults.ts';
import type { ContainerConfig } from './types.ts';

const user = (c: Partial<ContainerConfig>): ContainerConfig => ({ ...defaultContainerConfig(), ...c });
const image: ImageRuntimeConfig = {
  Env: ['PATH=/bin', 'A=1'],
  Entrypoint: ['/entry.sh'],
  Cmd: ['serve', '--port=80'],
  WorkingDir: '/app',
  User: 'nobody',
  ExposedPorts: { '80/tcp': {} },
  Volumes: { '/data': {} },
  Labels: { a: 'image', b: 'image' },
  StopSignal: 'SIGQUIT',
  Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 },
};

test('mergeImageConfig: entrypoint/cmd rules', () => {
  const cases: [Partial<ContainerConfig>, string[] | null, string[] | null][] = [
    [{}, ['/entry.sh'], ['serve', '--port=80']],
    [{ cmd: ['sh'] }, ['/entry.sh'], ['sh']],
    [{ entrypoint: ['/bin/other'] }, ['/bin/other'], null],
    [{ entrypoint: ['/bin/other'], cmd: ['x'] }, ['/bin/other'], ['x']],
    [{ entrypoint: [] }, [], ['serve', '--port=80']],
    [{ entrypoint: [], cmd: ['ls'] }, [], ['ls']],
  ];
  for (const [u, entry, cmd] of cases) {
    const m = mergeImageConfig(user(u), image);
    assert.deepEqual(m.entrypoint, entry, JSON.stringify(u));
    assert.deepEqual(m.cmd, cmd, JSON.stringify(u));
  }
});

test('mergeImageConfig: env by key, unions, user wins', () => {
  const m = mergeImageConfig(
    user({ env: ['A=2', 'B=3'], labels: { b: 'user' }, exposedPorts: ['53/udp'], workingDir: '/w' }),
    image,
  );
  assert.deepEqual(m.env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(m.labels, { a: 'image', b: 'user' });
  assert.deepEqual(m.exposedPorts, ['80/tcp', '53/udp']);
  assert.deepEqual(m.volumes, ['/data']);
  assert.equal(m.workingDir, '/w');
  assert.equal(m.user, 'nobody');
  assert.equal(m.stopSignal, 'SIGQUIT');
  assert.deepEqual(m.healthcheck?.test, ['CMD-SHELL', 'true']);
  assert.equal(m.healthcheck?.retries, 2);
});

test('mergeImageConfig: user healthcheck overrides fields, NONE kept', () => {
  const hc = { test: [] as string[], interval: 1e9, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  const m = mergeImageConfig(user({ healthcheck: hc }), image);
  assert.deepEqual(m.healthcheck?.test, ['CMD-SHELL', 'true']);
  assert.equal(m.healthcheck?.interval, 1e9);
  const none = mergeImageConfig(user({ healthcheck: { ...hc, test: ['NONE'] } }), image);
  assert.deepEqual(none.healthcheck?.test, ['NONE']);
});

test('mergeEnv and commandOf', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B'], ['B=2', 'C=3']), ['A=1', 'B=2', 'C=3']);
  assert.deepEqual(commandOf(user({ entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'] })), { path: '/bin/sh', args: ['-c', 'echo hi'] });
  assert.throws(() => commandOf(user({})), /no command specified/);
});
