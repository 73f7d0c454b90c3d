import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize, parseTmpfsOptions, validateMount } from './mount-spec.ts';

test('parseTmpfsOptions extracts size and mode and validates flags', () => {
  assert.deepEqual(parseTmpfsOptions('size=64m,mode=1777,noexec'), { size: 64 * 1024 * 1024, mode: 0o1777, options: ['noexec'] });
  assert.deepEqual(parseTmpfsOptions(''), { options: [] });
  assert.throws(() => parseTmpfsOptions('bogus=1'), /invalid tmpfs option "bogus=1"/);
  assert.equal(parseByteSize('1g'), 1024 ** 3);
  assert.equal(parseByteSize('512kb'), 512 * 1024);
  assert.throws(() => parseByteSize('lots'), /invalid size/);
});

test('validateMount checks each mount type with dockerd messages', () => {
  assert.deepEqual(validateMount({ Type: 'bind', Source: '/tmp', Target: '/mnt/', ReadOnly: true }), {
    type: 'bind', source: '/tmp', target: '/mnt/', readOnly: true,
  });
  assert.throws(
    () => validateMount({ Type: 'bind', Source: '/no/such/berth/dir', Target: '/m' }),
    /invalid mount config for type "bind": bind source path does not exist: \/no\/such\/berth\/dir/,
  );
  assert.deepEqual(validateMount({ Type: 'volume', Source: 'v1', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } }), {
    type: 'volume', source: 'v1', target: '/v', readOnly: false, noCopy: true, volumeLabels: { a: 'b' },
  });
  assert.deepEqual(validateMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o700 } }), {
    type: 'tmpfs', source: '', target: '/t', readOnly: false, tmpfsSize: 1024, tmpfsMode: 0o700,
  });
  assert.throws(() => validateMount({ Type: 'tmpfs', Source: 'x', Target: '/t' }), /field Source must not be specified/);
  assert.throws(() => validateMount({ Type: 'npipe', Target: '/t' }), /mount type unknown: "npipe"/);
  assert.throws(() => validateMount({ Type: 'volume', Target: 'rel' }), /mount path must be absolute/);
});
