import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeviceCgroupRule, parseThrottleBps, parseThrottleIops, parseWeightDevice } from './blkio.ts';

test('parseThrottleBps, parseThrottleIops and parseWeightDevice take docker values and refuse with its messages', () => {
  assert.deepEqual(parseThrottleBps('/dev/sda:1mb', '--device-read-bps'), { Path: '/dev/sda', Rate: 1048576 });
  assert.deepEqual(parseThrottleBps('/dev/sda:512k', '--device-write-bps'), { Path: '/dev/sda', Rate: 524288 });
  assert.deepEqual(parseThrottleBps('/dev/sda:100', '--device-write-bps'), { Path: '/dev/sda', Rate: 100 });
  assert.throws(() => parseThrottleBps('/dev/sda', '--device-read-bps'), /invalid argument "\/dev\/sda" for "--device-read-bps" flag: bad format: \/dev\/sda/);
  assert.throws(() => parseThrottleBps('sda:1mb', '--device-read-bps'), /bad format for device path: sda:1mb/);
  assert.throws(() => parseThrottleBps('/dev/sda:fast', '--device-read-bps'), /invalid rate for device: \/dev\/sda:fast\. The correct format is <device-path>:<number>\[<unit>\]/);
  assert.deepEqual(parseThrottleIops('/dev/vda:1000', '--device-read-iops'), { Path: '/dev/vda', Rate: 1000 });
  assert.throws(() => parseThrottleIops('/dev/vda:1k', '--device-read-iops'), /invalid rate for device: \/dev\/vda:1k\. The correct format is <device-path>:<number>\. Number must be a positive integer/);
  assert.deepEqual(parseWeightDevice('/dev/vda:200'), { Path: '/dev/vda', Weight: 200 });
  assert.deepEqual(parseWeightDevice('/dev/vda:0'), { Path: '/dev/vda', Weight: 0 });
  assert.throws(() => parseWeightDevice('/dev/vda:5'), /invalid weight for device: \/dev\/vda:5/);
  assert.equal(parseDeviceCgroupRule('c 1:3 rwm'), 'c 1:3 rwm');
  assert.throws(() => parseDeviceCgroupRule('c 1:3'), /invalid device cgroup format 'c 1:3'/);
});
