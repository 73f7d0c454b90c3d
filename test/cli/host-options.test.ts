import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { berth, busyboxTar, ok } from './harness.ts';
import { cliWorkspace } from './workspace.ts';

// One daemon: namespace sharing, block I/O and device rules, and cp through volumes and binds.
test('berth run namespace, blkio and device flags; cp into and out of volumes and binds', async (t) => {
  const sfx = `h${process.pid}`;
  const { host: h, work, name } = await cliWorkspace(t, {
    sfx,
    prefix: 'berth-cli-hostopt-',
    removeVolumes: true,
    cleanup: (host) => berth(host, ['volume', 'rm', `cpvol-${sfx}`]),
  });
  await ok(h, ['import', '-', 'busybox:latest'], { input: await busyboxTar() });

  await t.test('--pid, --ipc, --uts and --userns', async () => {
    const a = name('nsa');
    await ok(h, ['run', '-d', '--name', a, '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo shm-data > /dev/shm/f; exec sleep 1004']);
    for (let i = 0; i < 100 && (await berth(h, ['exec', a, 'test', '-e', '/dev/shm/f'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    const ps = await ok(h, ['run', '--rm', '--pid', `container:${a}`, 'busybox', 'ps', '-o', 'pid,args']);
    assert.match(ps, /^\s*1 sleep 1004$/m);
    assert.equal(await ok(h, ['run', '--rm', '--ipc', `container:${a}`, 'busybox', 'cat', '/dev/shm/f']), 'shm-data\n');
    assert.equal(await ok(h, ['run', '--rm', '--uts', 'host', '--userns', 'host', 'busybox', 'hostname']), `${hostname()}\n`);
    const pidHost = await ok(h, ['run', '--rm', '--pid', 'host', 'busybox', 'readlink', '/proc/self/ns/pid']);
    assert.equal(pidHost.trim(), readlinkSync('/proc/self/ns/pid'));
    const missing = await berth(h, ['run', '--rm', '--pid', 'container:no-such-one', 'busybox', 'true']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /cannot join PID of a non running container: no-such-one/);
    const b = name('nsb');
    await ok(h, ['create', '--name', b, '--pid', `container:${a}`, '--ipc', 'none', '--uts', 'host', 'busybox', 'true']);
    const modes = await ok(h, ['inspect', '-f', '{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}}', b]);
    assert.equal(modes, `container:${a} none host\n`);
  });

  await t.test('--device-read-bps and friends, --blkio-weight, update --blkio-weight, --device-cgroup-rule', async () => {
    const dev = readFileSync('/sys/block/vda/dev', 'utf8').trim();
    const out = await ok(h, [
      'run', '--rm', '--device-read-bps', '/dev/vda:1mb', '--device-write-iops', '/dev/vda:77', 'busybox',
      'cat', '/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device', '/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device',
    ]);
    assert.equal(out, `${dev} 1048576\n${dev} 77\n`);
    const bad = await berth(h, ['run', '--rm', '--device-read-bps', 'vda:1mb', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid argument "vda:1mb" for "--device-read-bps" flag: bad format for device path: vda:1mb/);
    const gone = await berth(h, ['run', '--rm', '--device-read-bps', '/dev/no-such-disk:1mb', 'busybox', 'true']);
    assert.match(gone.stderr, /stat \/dev\/no-such-disk: no such file or directory/);
    const c = name('blk');
    // Weights need CFQ or BFQ: without their files docker (and berthd) drop them with a warning.
    const blkio = (f: string) => existsSync(`/sys/fs/cgroup/blkio/${f}`);
    const weight = blkio('blkio.weight') || blkio('blkio.bfq.weight');
    const weightDevice = blkio('blkio.weight_device') || blkio('blkio.bfq.weight_device');
    const created = await berth(h, ['create', '--name', c, '--blkio-weight', '300', '--blkio-weight-device', '/dev/vda:200', '--device-read-iops', '/dev/vda:10', '--device-cgroup-rule', 'c 42:* rmw', 'busybox', 'sleep', '100']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(/Block I\/O weight or the cgroup is not mounted\. Weight discarded\./.test(created.stderr), !weight, created.stderr);
    assert.equal(/Weight-device discarded\./.test(created.stderr), !weightDevice, created.stderr);
    const f = '{{.HostConfig.BlkioWeight}} {{json .HostConfig.BlkioWeightDevice}} {{json .HostConfig.BlkioDeviceReadIOps}} {{json .HostConfig.DeviceCgroupRules}}';
    const wd = weightDevice ? '[{"Path":"/dev/vda","Weight":200}]' : '[]';
    assert.equal(await ok(h, ['inspect', '-f', f, c]), `${weight ? 300 : 0} ${wd} [{"Path":"/dev/vda","Rate":10}] ["c 42:* rmw"]\n`);
    const updated = await berth(h, ['update', '--blkio-weight', '500', c]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(await ok(h, ['inspect', '-f', '{{.HostConfig.BlkioWeight}}', c]), `${weight ? 500 : 0}\n`);
    if (!weight) assert.match(updated.stderr, /WARNING: Your kernel does not support Block I\/O weight/);
    const rule = await berth(h, ['run', '--rm', '--device-cgroup-rule', 'z 1:1 r', 'busybox', 'true']);
    assert.match(rule.stderr, /invalid device cgroup format 'z 1:1 r'/);
    const opened = await ok(h, ['run', '--rm', '--device-cgroup-rule', 'c 42:* rmw', 'busybox', 'sh', '-c', 'mknod /tmp/d c 42 0; cat /tmp/d 2>&1; true']);
    assert.match(opened, /No such device/);
  });

  await t.test('cp into and out of a named volume and a bind mount, running and stopped', async () => {
    const bindDir = join(work, 'bind');
    mkdirSync(bindDir);
    writeFileSync(join(bindDir, 'host.txt'), 'from host\n');
    const src = join(work, 'in.txt');
    writeFileSync(src, 'copied in\n');
    const c = name('cpv');
    await ok(h, ['run', '-d', '--name', c, '-v', `cpvol-${sfx}:/vol`, '-v', `${bindDir}:/bnd`, 'busybox', 'sh', '-c', 'echo made > /vol/inside.txt; exec sleep 1005']);
    for (let i = 0; i < 100 && (await berth(h, ['exec', c, 'test', '-e', '/vol/inside.txt'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    await ok(h, ['cp', src, `${c}:/vol/in.txt`]);
    assert.equal(await ok(h, ['exec', c, 'cat', '/vol/in.txt']), 'copied in\n');
    await ok(h, ['cp', `${c}:/vol/inside.txt`, join(work, 'out.txt')]);
    assert.equal(readFileSync(join(work, 'out.txt'), 'utf8'), 'made\n');
    await ok(h, ['cp', src, `${c}:/bnd/`]);
    assert.equal(readFileSync(join(bindDir, 'in.txt'), 'utf8'), 'copied in\n');
    await ok(h, ['cp', `${c}:/bnd/host.txt`, join(work, 'host-back.txt')]);
    assert.equal(readFileSync(join(work, 'host-back.txt'), 'utf8'), 'from host\n');

    await ok(h, ['stop', '-t', '0', c]);
    await ok(h, ['cp', `${c}:/vol`, join(work, 'vol-copy')]);
    assert.equal(readFileSync(join(work, 'vol-copy', 'in.txt'), 'utf8'), 'copied in\n');
    assert.equal(readFileSync(join(work, 'vol-copy', 'inside.txt'), 'utf8'), 'made\n');
    writeFileSync(src, 'while stopped\n');
    await ok(h, ['cp', src, `${c}:/vol/stopped.txt`]);
    await ok(h, ['start', c]);
    assert.equal(await ok(h, ['exec', c, 'cat', '/vol/stopped.txt']), 'while stopped\n');
  });
});
