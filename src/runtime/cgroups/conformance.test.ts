import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CgroupV1Manager, CgroupV2Manager, isCgroup2Mount } from './index.ts';
import type { ContainerCgroupManager } from './index.ts';

/**
 * The behaviour every CgroupManager implementation owes the runtime, run against each one on
 * this host: v1 on the legacy hierarchies, v2 on the hybrid cgroup2 mount.
 */
function conformance(name: string, make: (path: string) => ContainerCgroupManager, dirsOf: (m: ContainerCgroupManager) => string[]): void {
  test(`${name} conformance: apply, pids, freeze, stats, remove`, async (t) => {
    assert.equal(process.getuid?.(), 0, 'cgroup tests write /sys/fs/cgroup and must run as root');
    const mgr = make(`/berth-test-${randomBytes(4).toString('hex')}`);
    const child = spawn('sh', ['-c', 'read go; sleep 1000 & wait'], { stdio: ['pipe', 'ignore', 'ignore'] });
    t.after(async () => {
      child.kill('SIGKILL');
      await mgr.remove();
    });
    const pid = child.pid!;
    mgr.apply(pid);
    mgr.apply(pid);
    child.stdin!.write('go\n');
    const deadline = Date.now() + 5000;
    while (mgr.pids().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const pids = mgr.pids();
    assert.equal(pids.length, 2, 'the shell and the sleep it forked inside');
    assert.ok(pids.includes(pid));
    assert.equal(mgr.isFrozen(), false);
    await mgr.freeze(true);
    assert.equal(mgr.isFrozen(), true);
    await mgr.freeze(true);
    await mgr.freeze(false);
    assert.equal(mgr.isFrozen(), false);
    assert.equal(mgr.oomKilled(), false);
    assert.equal(typeof mgr.stats(), 'object');
    for (const dir of dirsOf(mgr)) assert.ok(existsSync(dir), `${dir} exists`);
    await mgr.remove();
    assert.deepEqual(mgr.pids(), []);
    for (const dir of dirsOf(mgr)) assert.equal(existsSync(dir), false, `${dir} removed`);
    await mgr.remove();
  });

  test(`${name} conformance: device rules allow-list what the process may open`, async (t) => {
    assert.equal(process.getuid?.(), 0, 'cgroup tests write /sys/fs/cgroup and must run as root');
    const mgr = make(`/berth-test-${randomBytes(4).toString('hex')}`);
    const script = 'read go; for d in null zero; do if (: <> /dev/$d) 2>/dev/null; then echo $d ok; else echo $d denied; fi; done';
    const child = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
    t.after(async () => {
      child.kill('SIGKILL');
      await mgr.remove();
    });
    mgr.apply(child.pid!);
    mgr.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('close', r));
    child.stdin!.end('go\n');
    await exited;
    assert.equal(out, 'null ok\nzero denied\n');
  });

  test(`${name} conformance: create and set before a process joins through procsFiles`, async (t) => {
    assert.equal(process.getuid?.(), 0, 'cgroup tests write /sys/fs/cgroup and must run as root');
    const mgr = make(`/berth-test-${randomBytes(4).toString('hex')}`);
    const child = spawn('sh', ['-c', 'read go; if (: <> /dev/zero) 2>/dev/null; then echo zero ok; else echo zero denied; fi'], { stdio: ['pipe', 'pipe', 'ignore'] });
    t.after(async () => {
      child.kill('SIGKILL');
      await mgr.remove();
    });
    mgr.create();
    mgr.create();
    for (const dir of dirsOf(mgr)) assert.ok(existsSync(dir), `${dir} exists`);
    assert.deepEqual(mgr.pids(), []);
    mgr.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    const files = mgr.procsFiles();
    assert.ok(files.length > 0);
    for (const file of files) {
      assert.ok(dirsOf(mgr).includes(dirname(file)) && file.endsWith('/cgroup.procs'), `${file} is the cgroup.procs of a cgroup dir`);
      writeFileSync(file, String(child.pid));
    }
    assert.deepEqual(mgr.pids(), [child.pid]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('close', r));
    child.stdin!.end('go\n');
    await exited;
    assert.equal(out, 'zero denied\n');
  });

  test(`${name} conformance: remove of a frozen cgroup kills and removes it`, async (t) => {
    assert.equal(process.getuid?.(), 0, 'cgroup tests write /sys/fs/cgroup and must run as root');
    const mgr = make(`/berth-test-${randomBytes(4).toString('hex')}`);
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    t.after(async () => {
      child.kill('SIGKILL');
      await mgr.remove();
    });
    mgr.apply(child.pid!);
    await mgr.freeze(true);
    await mgr.remove();
    for (const dir of dirsOf(mgr)) assert.equal(existsSync(dir), false, `${dir} removed`);
  });
}

conformance('CgroupV1Manager', (p) => new CgroupV1Manager(p), (m) => Object.values((m as CgroupV1Manager).paths));
conformance(
  'CgroupV2Manager',
  (p) => {
    assert.ok(isCgroup2Mount('/sys/fs/cgroup/unified'), '/sys/fs/cgroup/unified must be a cgroup2 mount (hybrid host)');
    return new CgroupV2Manager(p, { root: '/sys/fs/cgroup/unified' });
  },
  (m) => [(m as CgroupV2Manager).path],
);
