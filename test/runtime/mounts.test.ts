import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Scratch } from './helpers.ts';
import type { Spec } from '../../src/runtime/index.ts';

const s = new Scratch('mounts');
const hostMounts: string[] = [];
after(() => {
  for (const m of hostMounts.reverse()) spawnSync('umount', ['-l', m]);
  return s.remove();
});

/** A host directory with a file and a tmpfs submount (holding a file too). */
function treeWithSubmount(name: string): string {
  const dir = join(s.dir, name);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'top'), 'top\n');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', `berth-test-${name}`, join(dir, 'sub')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount a tmpfs submount: ${r.stderr}`);
  hostMounts.push(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'inner'), 'inner\n');
  return dir;
}

const withoutSys = (spec: Spec) => {
  spec.mounts = spec.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
};

test('mount option rro makes a rbind read-only down to its submounts; ro only the top', async () => {
  const src = treeWithSubmount('rro');
  const script = 'for f in /rro/top /rro/sub/new /ro/top /ro/sub/new; do if (echo x >> $f) 2>/dev/null; then echo "$f writable"; else echo "$f read-only"; fi; done';
  const { out, exit } = await s.run(['sh', '-c', script], (spec) => {
    spec.mounts!.push({ destination: '/rro', type: 'bind', source: src, options: ['rbind', 'rro'] });
    spec.mounts!.push({ destination: '/ro', type: 'bind', source: src, options: ['rbind', 'ro'] });
  });
  assert.equal(exit.exitCode, 0, out);
  assert.equal(out, '/rro/top read-only\n/rro/sub/new read-only\n/ro/top read-only\n/ro/sub/new writable\n');
});

test('recursive mount attributes rnosuid, rnodev, rnoexec, rnoatime, rnosymfollow reach the submounts; rrw lifts ro', async () => {
  const src = treeWithSubmount('rattrs');
  const { out, exit } = await s.run(['sh', '-c', "grep -E ' /(a|b)/sub ' /proc/self/mountinfo | cut -d' ' -f5,6"], (spec) => {
    spec.mounts!.push({ destination: '/a', type: 'bind', source: src, options: ['rbind', 'rnosuid', 'rnodev', 'rnoexec', 'rnoatime', 'rnosymfollow'] });
    spec.mounts!.push({ destination: '/b', type: 'bind', source: src, options: ['rbind', 'rro', 'rrw', 'rstrictatime'] });
  });
  assert.equal(exit.exitCode, 0, out);
  const lines = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  const a = (lines['/a/sub'] ?? '').split(',');
  for (const flag of ['rw', 'nosuid', 'nodev', 'noexec', 'noatime', 'nosymfollow']) assert.ok(a.includes(flag), `/a/sub has ${flag}: ${out}`);
  const b = (lines['/b/sub'] ?? '').split(',');
  assert.ok(b.includes('rw'), `/b/sub is rw again: ${out}`);
  assert.ok(!b.includes('noatime') && !b.includes('relatime'), `/b/sub has strictatime: ${out}`);
});

test('idmapped bind mount without a user namespace: on-disk uid 1000 is seen (and written) as 0', async () => {
  const src = join(s.dir, 'idmap-plain');
  mkdirSync(src);
  writeFileSync(join(src, 'owned'), 'x');
  chownSync(src, 1000, 1000);
  chownSync(join(src, 'owned'), 1000, 1000);
  const script = 'stat -c %u:%g /data/owned; touch /data/made && stat -c %u:%g /data/made; stat -c %u:%g /plain/owned; stat -c %u:%g /ro/owned; (touch /ro/no) 2>&1; exit 0';
  const { out, exit } = await s.run(['sh', '-c', script], (spec) => {
    // containerID is the id on disk, hostID the id it shows as (runc's and the kernel's reading)
    spec.mounts!.push({ destination: '/data', type: 'bind', source: src, options: ['bind'], uidMappings: [{ containerID: 1000, hostID: 0, size: 1 }], gidMappings: [{ containerID: 1000, hostID: 0, size: 1 }] });
    spec.mounts!.push({ destination: '/plain', type: 'bind', source: src, options: ['bind'] });
    spec.mounts!.push({ destination: '/ro', type: 'bind', source: src, options: ['bind', 'ro', 'nosuid', 'idmap', 'rnodev'], uidMappings: [{ containerID: 1000, hostID: 0, size: 1 }], gidMappings: [{ containerID: 1000, hostID: 0, size: 1 }] });
  });
  assert.equal(exit.exitCode, 0, out);
  assert.equal(out, "0:0\n0:0\n1000:1000\n0:0\ntouch: /ro/no: Read-only file system\n", 'ro applies to an idmapped mount');
  const made = statSync(join(src, 'made'));
  assert.deepEqual([made.uid, made.gid], [1000, 1000], 'a file root creates through the mount is stored as 1000');
});

test('idmapped bind mount in a user namespace: the "idmap" option uses the container mappings, mounts[].uidMappings their own', async () => {
  const src = join(s.dir, 'idmap-userns');
  mkdirSync(src);
  writeFileSync(join(src, 'rootfile'), 'x');
  writeFileSync(join(src, 'userfile'), 'x');
  chownSync(src, 0, 0);
  chownSync(join(src, 'userfile'), 1000, 1000);
  // under /tmp (a tmpfs of the container): the rootfs top belongs to the host's root
  const script = 'cd /tmp; stat -c %n=%u:%g idmap/rootfile own/userfile plain/rootfile; touch idmap/made && echo made';
  const { out, exit } = await s.run(['sh', '-c', script], (spec) => {
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 500000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 500000, size: 65536 }];
    withoutSys(spec);
    spec.mounts!.push({ destination: '/tmp/idmap', type: 'bind', source: src, options: ['bind', 'idmap'] });
    // on-disk 1000 shows as host 500007, which the container sees as 7
    spec.mounts!.push({ destination: '/tmp/own', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: [{ containerID: 1000, hostID: 500007, size: 1 }], gidMappings: [{ containerID: 1000, hostID: 500008, size: 1 }] });
    spec.mounts!.push({ destination: '/tmp/plain', type: 'bind', source: src, options: ['bind'] });
  });
  assert.equal(exit.exitCode, 0, out);
  assert.equal(out, 'idmap/rootfile=0:0\nown/userfile=7:8\nplain/rootfile=65534:65534\nmade\n');
  const made = statSync(join(src, 'made'));
  assert.deepEqual([made.uid, made.gid], [0, 0], 'container root writes as on-disk root through the idmap');
});

test('ridmap maps the submounts of a rbind too; idmap only the top', async () => {
  const src = treeWithSubmount('ridmap');
  chownSync(join(src, 'top'), 1000, 1000);
  chownSync(join(src, 'sub', 'inner'), 1000, 1000);
  const maps = { uidMappings: [{ containerID: 1000, hostID: 5, size: 1 }], gidMappings: [{ containerID: 1000, hostID: 6, size: 1 }] };
  const { out, exit } = await s.run(['stat', '-c', '%n=%u:%g', '/r/top', '/r/sub/inner', '/n/top', '/n/sub/inner'], (spec) => {
    spec.mounts!.push({ destination: '/r', type: 'bind', source: src, options: ['rbind', 'ridmap'], ...maps });
    spec.mounts!.push({ destination: '/n', type: 'bind', source: src, options: ['rbind', 'idmap'], ...maps });
  });
  assert.equal(exit.exitCode, 0, out);
  assert.equal(out, '/r/top=5:6\n/r/sub/inner=5:6\n/n/top=5:6\n/n/sub/inner=1000:1000\n');
});

test('an idmapped mount that is not a bind, or without mappings, is refused at create', async () => {
  await assert.rejects(
    s.run(['true'], (spec) => spec.mounts!.push({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] })),
    /mount "\/x": idmapped mounts must be bind mounts/,
  );
  await assert.rejects(
    s.run(['true'], (spec) => spec.mounts!.push({ destination: '/x', type: 'bind', source: s.dir, options: ['bind', 'idmap'] })),
    /mount "\/x": idmapped mount needs uidMappings and gidMappings/,
  );
  // a filesystem without idmapped mount support: the monitor's error, and nothing left behind
  const before = (await s.runtime.list()).length;
  await assert.rejects(
    s.run(['true'], (spec) => spec.mounts!.push({ destination: '/x', type: 'bind', source: '/proc/sys', options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] })),
    /mount "\/x": idmap "\/proc\/sys": invalid argument/,
  );
  assert.equal((await s.runtime.list()).length, before);
});
