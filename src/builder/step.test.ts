import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStages } from './dockerfile/index.ts';
import { applyMetadata, exposedPorts, runEnv, type StageState } from './step.ts';

function run(text: string, buildArgs: Record<string, string> = {}, base: StageState['config'] = {}): StageState {
  const df = parseStages(text);
  const state: StageState = { config: structuredClone(base), args: new Map(), cmdSet: false, escape: df.directives.escape };
  const metaArgs = new Map(df.metaArgs.flatMap((a) => a.args.map((x) => [x.name, x.defaultValue ?? ''] as [string, string])));
  for (const ins of df.stages[0]!.instructions) applyMetadata(state, ins, { buildArgs: new Map(Object.entries(buildArgs)), metaArgs });
  return state;
}

test('applyMetadata builds the image config like docker', () => {
  const s = run(
    [
      'ARG V=1',
      'FROM x',
      'ARG V',
      'ARG NAME=app',
      'ENV PATH=/usr/bin HOME=/root',
      'ENV DIR=/srv/$NAME VER=${V}',
      'WORKDIR $DIR',
      'WORKDIR sub',
      'USER 1000:1000',
      'EXPOSE 80 53/udp 8000-8001',
      'VOLUME ["/data", "/logs"]',
      'LABEL org.x="a b"',
      'STOPSIGNAL SIGINT',
      'SHELL ["/bin/ash", "-eo", "pipefail", "-c"]',
      'CMD echo hi',
      'HEALTHCHECK --interval=2s CMD wget -q localhost',
      'ONBUILD RUN make',
    ].join('\n'),
    { NAME: 'web' },
  );
  const c = s.config;
  assert.deepEqual(c.Env, ['PATH=/usr/bin', 'HOME=/root', 'DIR=/srv/web', 'VER=1']);
  assert.equal(c.WorkingDir, '/srv/web/sub');
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(Object.keys(c.ExposedPorts!), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(Object.keys(c.Volumes!), ['/data', '/logs']);
  assert.deepEqual(c.Labels, { 'org.x': 'a b' });
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.Cmd, ['/bin/ash', '-eo', 'pipefail', '-c', 'echo hi']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 2e9 });
  assert.deepEqual(c.OnBuild, ['RUN make']);
  assert.deepEqual(runEnv(s), ['PATH=/usr/bin', 'HOME=/root', 'DIR=/srv/web', 'VER=1', 'V=1', 'NAME=web']);
});

test('applyMetadata: ENTRYPOINT resets an inherited CMD but not one set in the stage', () => {
  assert.equal(run('FROM x\nENTRYPOINT ["/app"]', {}, { Cmd: ['sh'] }).config.Cmd, null);
  assert.deepEqual(run('FROM x\nCMD ["a"]\nENTRYPOINT ["/app"]', {}, { Cmd: ['sh'] }).config.Cmd, ['a']);
});

test('exposedPorts rejects bad ports', () => {
  assert.deepEqual(exposedPorts('443/TCP'), ['443/tcp']);
  assert.throws(() => exposedPorts('http'), /invalid containerPort: http/);
  assert.throws(() => exposedPorts('9-1'), /invalid port range/);
});
