import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startDaemon } from '../helpers/daemon.ts';

// Debian's python3-docker (the docker SDK for Python) lives under /usr/bin/python3 only.
const python = '/usr/bin/python3';

test('the docker SDK for Python drives berthd: version, info, ping, volumes, errors, df', async (t) => {
  const probe = spawnSync(python, ['-c', 'import docker'], { encoding: 'utf8' });
  assert.equal(probe.status, 0, `python3-docker is missing (apt-get install python3-docker): ${probe.stderr}`);
  const d = await startDaemon(t);
  const script = `
import docker, json, sys
c = docker.DockerClient(base_url=sys.argv[1], version='auto')
out = {'api': c.version()['ApiVersion'], 'driver': c.info()['Driver'], 'ping': c.ping()}
v = c.volumes.create('pyvol', labels={'a': 'b'})
out['volumes'] = [x.name for x in c.volumes.list(filters={'label': 'a=b'})]
out['mountpoint'] = v.attrs['Mountpoint']
out['images'] = len(c.images.list())
try:
    c.volumes.get('nope')
except docker.errors.NotFound as e:
    out['notfound'] = e.explanation
v.remove()
out['after'] = [x.name for x in c.volumes.list()]
print(json.dumps(out))
`;
  const r = spawnSync(python, ['-c', script, d.host], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    api: '1.45',
    driver: 'overlay2',
    ping: true,
    volumes: ['pyvol'],
    mountpoint: `${d.dataRoot}/volumes/pyvol/_data`,
    images: 0,
    notfound: 'get nope: no such volume',
    after: [],
  });
});
