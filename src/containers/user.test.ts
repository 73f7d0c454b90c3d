import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUserFrom } from './user.ts';

const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n';
const group = 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nwheel:x:10:app,root\naudio:x:29:app\n';

test('resolveUserFrom handles names, ids, groups and group-add', () => {
  assert.deepEqual(resolveUserFrom('', passwd, group), { uid: 0, gid: 0, additionalGids: [10] });
  assert.deepEqual(resolveUserFrom('app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [10, 29] });
  assert.deepEqual(resolveUserFrom('nobody:app', passwd, group), { uid: 65534, gid: 1000, additionalGids: [] });
  assert.deepEqual(resolveUserFrom('1234', passwd, group), { uid: 1234, gid: 0, additionalGids: [] });
  assert.deepEqual(resolveUserFrom('1000:29', passwd, group), { uid: 1000, gid: 29, additionalGids: [] });
  assert.deepEqual(resolveUserFrom('nobody', passwd, group, ['wheel', '99']), { uid: 65534, gid: 65534, additionalGids: [10, 99] });
  assert.throws(() => resolveUserFrom('ghost', passwd, group), /unable to find user ghost/);
  assert.throws(() => resolveUserFrom('app:ghosts', passwd, group), /unable to find group ghosts/);
});
