import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { blkioSupport, blkioWarnings, cgroupVersion } from './system-backend.ts';

test('blkioSupport reads the blkio controls this kernel offers, blkioWarnings words them as docker info', () => {
  const b = blkioSupport();
  if (cgroupVersion() === '1') {
    assert.equal(b.readBps, existsSync('/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device'));
    assert.equal(b.weight, existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight'));
  }
  const all = { weight: true, weightDevice: true, readBps: true, writeBps: true, readIOps: true, writeIOps: true };
  assert.equal(blkioWarnings(all), null);
  assert.deepEqual(blkioWarnings({ ...all, weight: false, writeIOps: false }), ['WARNING: No blkio weight support', 'WARNING: No blkio throttle.write_iops_device support']);
});
