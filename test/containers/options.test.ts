import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, runOut } from './harness.ts';

const status = 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\\t " " "';

test('HostConfig process and security options reach the container', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const def = await runOut(h, { cmd: ['sh', '-c', status] });
  assert.match(def.out, /CapEff: 00000000a80425fb/);
  assert.match(def.out, /NoNewPrivs: 0/);
  assert.match(def.out, /Seccomp: 2/);

  const locked = await runOut(h, { cmd: ['sh', '-c', status] }, { capDrop: ['ALL'], securityOpt: ['no-new-privileges', 'seccomp=unconfined'] });
  assert.match(locked.out, /CapEff: 0000000000000000/);
  assert.match(locked.out, /NoNewPrivs: 1/);
  assert.match(locked.out, /Seccomp: 0/);

  const ro = await runOut(h, { cmd: ['sh', '-c', 'touch /x 2>/dev/null && echo wrote || echo ro; touch /tmp/y 2>/dev/null && echo tmp-ok'] }, { readonlyRootfs: true, tmpfs: { '/tmp': '' } });
  assert.equal(ro.out, 'ro\ntmp-ok\n');

  const proc = await runOut(
    h,
    { cmd: ['sh', '-c', 'ulimit -n; id -u; pwd; hostname; cat /etc/hosts | tail -1; echo $A'], user: 'nobody', workingDir: '/tmp', hostname: 'box1', env: ['A=b'] },
    { ulimits: [{ name: 'nofile', soft: 321, hard: 321 }], extraHosts: ['db:10.9.8.7'] },
  );
  assert.equal(proc.out, '321\n65534\n/tmp\nbox1\n10.9.8.7\tdb\nb\n');

  const none = await runOut(h, { cmd: ['ls', '/sys/class/net'] }, { networkMode: 'none' });
  assert.equal(none.out, 'lo\n');
  const host = await runOut(h, { cmd: ['ls', '/sys/class/net'] }, { networkMode: 'host' });
  assert.ok(host.out.split('\n').filter(Boolean).length > 1, host.out);

  const pids = await runOut(h, { cmd: ['cat', '/sys/fs/cgroup/pids/pids.max'] }, { pidsLimit: 5 });
  assert.equal(pids.out, '5\n');
  const mem = await runOut(h, { cmd: ['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'] }, { memory: 32 << 20 });
  assert.equal(mem.out.trim(), String(32 << 20));
});
