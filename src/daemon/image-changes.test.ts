import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges } from './image-changes.ts';

test('applyChanges applies docker --change instructions in order', () => {
  const c = applyChanges({ Env: ['PATH=/bin', 'A=1'] }, [
    'CMD ["cat", "/x"]',
    'ENTRYPOINT /bin/sh -c',
    'ENV A=2 B="two words"',
    'ENV C 3',
    'LABEL version=1.0 team=core',
    'EXPOSE 80 53/udp',
    'VOLUME /data /cache',
    'WORKDIR /srv',
    'USER nobody',
    'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(c.Cmd, ['cat', '/x']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/bin/sh -c']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=two words', 'C=3']);
  assert.deepEqual(c.Labels, { version: '1.0', team: 'core' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Volumes, { '/data': {}, '/cache': {} });
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.User, 'nobody');
  assert.equal(c.StopSignal, 'SIGINT');
  assert.throws(() => applyChanges({}, ['RUN true']), /RUN is not a valid change command/);
  assert.throws(() => applyChanges({}, ['CMD']), /invalid change/);
});
