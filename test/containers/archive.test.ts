import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { makeHarness } from './harness.ts';
import { containerChanges, getArchive, putArchive, statPath, exportContainer } from '../../src/containers/index.ts';

async function untar(chunks: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (b: unknown) => parts.push(b as Buffer));
      stream.on('end', () => {
        out[h.name] = h.type === 'file' ? Buffer.concat(parts).toString() : h.type;
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(chunks);
  await done;
  return out;
}

async function drain(write: (out: PassThrough) => Promise<void>): Promise<Buffer> {
  const pt = new PassThrough();
  const parts: Buffer[] = [];
  pt.on('data', (b: Buffer) => parts.push(b));
  await write(pt);
  return Buffer.concat(parts);
}

test('docker cp both ways, path stat, diff and export on a stopped and a running container', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { id } = await h.svc.create({ config: h.config({ cmd: ['sh', '-c', 'mkdir -p /work && echo made > /work/f; rm /bin/vi; sleep 1000'] }) });

  // Into a created (not running) container.
  const pack = tar.pack();
  pack.entry({ name: 'in/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'in/hello.txt', mode: 0o640 }, 'hi there\n');
  pack.finalize();
  await putArchive(h.svc, id, '/tmp', Readable.from(pack), { noOverwriteDirNonDir: false, copyUIDGID: false });
  await assert.rejects(putArchive(h.svc, id, '/nope', Readable.from([]), { noOverwriteDirNonDir: false, copyUIDGID: false }), /Could not find the file/);

  await h.svc.start(id);
  await new Promise((r) => setTimeout(r, 500));
  const st = await statPath(h.svc, id, '/tmp/in/hello.txt');
  assert.equal(st.name, 'hello.txt');
  assert.equal(st.size, 9);
  assert.equal(st.mode, 0o640);
  const dir = await statPath(h.svc, id, '/work');
  assert.ok(dir.mode >= 2 ** 31, 'a directory in Go FileMode bits');

  const { write } = await getArchive(h.svc, id, '/work');
  const files = await untar(await drain(write));
  assert.deepEqual(files, { 'work/': 'directory', 'work/f': 'made\n' });
  await assert.rejects(getArchive(h.svc, id, '/missing'), /Could not find the file \/missing/);

  const changes = await containerChanges(h.svc, id);
  const byPath = Object.fromEntries(changes.map((c) => [c.path, c.kind]));
  assert.equal(byPath['/work/f'], 'A');
  assert.equal(byPath['/bin/vi'], 'D');
  assert.equal(byPath['/tmp/in/hello.txt'], 'A');

  const exported = await untar(await drain((out) => exportContainer(h.svc, id, out, new AbortController().signal)));
  assert.equal(exported['work/f'] ?? exported['./work/f'], 'made\n');
  assert.equal(exported['bin/vi'] ?? exported['./bin/vi'], undefined);
});

test('a new volume is filled with the image content at its path; binds and tmpfs are mounted', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const hostDir = mkdtempSync(join(h.root, 'bind-'));
  writeFileSync(join(hostDir, 'from-host'), 'host\n');
  t.after(() => rmSync(hostDir, { recursive: true, force: true }));
  const { id } = await h.svc.create({
    config: h.config({ cmd: ['sh', '-c', 'ls /etc/passwd >/dev/null && cat /bindme/from-host && echo w > /bindme/from-container && mount | grep -c " /scratch type tmpfs" && ls /vol'] }),
    hostConfig: h.hostConfig({ binds: [`${hostDir}:/bindme`, 'named:/vol'], tmpfs: { '/scratch': 'size=1m' } }),
  });
  // `named` is empty at first: it gets /vol from the image, which has nothing there; use /etc instead.
  const withEtc = await h.svc.create({ config: h.config({ cmd: ['true'] }), hostConfig: h.hostConfig({ binds: ['etcvol:/etc'] }) });
  const done1 = h.svc.wait(withEtc.id, 'next-exit');
  await h.svc.start(withEtc.id);
  await done1;
  const etcvol = h.svc.get(withEtc.id).mountPoints[0]!;
  assert.equal(readFileSync(join(etcvol.source, 'passwd'), 'utf8').split('\n')[0], 'root:x:0:0:root:/root:/bin/sh');

  const done = h.svc.wait(id, 'next-exit');
  await h.svc.start(id);
  assert.equal((await done).exitCode, 0);
  assert.equal(readFileSync(join(hostDir, 'from-container'), 'utf8'), 'w\n');
  let out = '';
  for await (const e of (await import('../../src/containers/index.ts')).readLogs(h.svc.get(id).logPath)) out += e.line.toString();
  assert.equal(out, 'host\n1\n');
});

test('docker cp follows volumes and binds, running or stopped, and never leaves the container view', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, symlinkSync } = await import('node:fs');
  const { join } = await import('node:path');
  const hostDir = mkdtempSync(join(h.root, 'cpbind-'));
  const outside = mkdtempSync(join(h.root, 'outside-'));
  t.after(() => rmSync(hostDir, { recursive: true, force: true }));
  writeFileSync(join(hostDir, 'on-host'), 'bind file\n');
  // A symlink in the bind that points "up and out": inside the container it resolves to the container's /.
  symlinkSync(`../../../../../../..${outside}`, join(hostDir, 'escape'));
  const { id } = await h.svc.create({
    config: h.config({ cmd: ['sh', '-c', 'echo in-vol > /data/made-inside; sleep 1000'] }),
    hostConfig: h.hostConfig({ binds: [`${hostDir}:/bound`, 'cpvol:/data', `${hostDir}:/robind:ro`] }),
  });
  const vol = h.svc.get(id).mountPoints.find((m) => m.destination === '/data')!;
  const tarOf = (name: string, body: string) => {
    const p = tar.pack();
    p.entry({ name, mode: 0o644 }, body);
    p.finalize();
    return Readable.from(p);
  };
  const opts = { noOverwriteDirNonDir: false, copyUIDGID: false };

  // Stopped (created): into the volume and the bind.
  await putArchive(h.svc, id, '/data', tarOf('put-stopped', 'A\n'), opts);
  assert.equal(readFileSync(join(vol.source, 'put-stopped'), 'utf8'), 'A\n');
  await putArchive(h.svc, id, '/bound', tarOf('to-bind', 'B\n'), opts);
  assert.equal(readFileSync(join(hostDir, 'to-bind'), 'utf8'), 'B\n');
  const fromBind = await untar(await drain((await getArchive(h.svc, id, '/bound/on-host')).write));
  assert.deepEqual(fromBind, { 'on-host': 'bind file\n' });
  await assert.rejects(putArchive(h.svc, id, '/robind', tarOf('x', 'x'), opts), /mounted volume is marked read-only/);

  // Running: the same paths reach the same host files.
  await h.svc.start(id);
  for (let i = 0; i < 100 && !existsSync(join(vol.source, 'made-inside')); i++) await new Promise((r) => setTimeout(r, 50));
  const fromVol = await untar(await drain((await getArchive(h.svc, id, '/data')).write));
  assert.equal(fromVol['data/made-inside'], 'in-vol\n');
  assert.equal(fromVol['data/put-stopped'], 'A\n');
  await putArchive(h.svc, id, '/data', tarOf('put-running', 'C\n'), opts);
  assert.equal(readFileSync(join(vol.source, 'put-running'), 'utf8'), 'C\n');
  assert.equal((await statPath(h.svc, id, '/bound/to-bind')).size, 2);
  // A parent directory listing includes what is mounted below it.
  const root = await untar(await drain((await getArchive(h.svc, id, '/data/.')).write));
  assert.equal(root['put-running'], 'C\n');

  // The escaping symlink stays inside the container: writing through it lands in the rootfs.
  await putArchive(h.svc, id, '/bound/escape', tarOf('through-link', 'D\n'), opts).catch(() => undefined);
  assert.ok(!existsSync(join(outside, 'through-link')), 'nothing written outside the container view');
  const evil = tar.pack();
  evil.entry({ name: 'lnk', type: 'symlink', linkname: '/' });
  evil.entry({ name: 'lnk/tmp/via-entry', mode: 0o644 }, 'E\n');
  evil.finalize();
  await putArchive(h.svc, id, '/data', Readable.from(evil), opts);
  assert.equal(readFileSync(join(h.svc.rootfsDir(id), 'tmp', 'via-entry'), 'utf8'), 'E\n', 'a symlink entry resolves in the container root');
});

test('docker cp reaches the tmpfs mounts of a running container', async (t) => {
  const h = makeHarness();
  t.after(() => h.close());
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { id } = await h.svc.create({
    config: h.config({ cmd: ['sh', '-c', 'echo in-tmpfs > /scratch/f; touch /scratch/ready; sleep 1000'] }),
    hostConfig: h.hostConfig({ tmpfs: { '/scratch': 'size=1m' } }),
  });
  await h.svc.start(id);
  const pid = h.svc.get(id).state.pid;
  for (let i = 0; i < 100 && !existsSync(`/proc/${pid}/root/scratch/ready`); i++) await new Promise((r) => setTimeout(r, 50));
  const got = await untar(await drain((await getArchive(h.svc, id, '/scratch/f')).write));
  assert.deepEqual(got, { f: 'in-tmpfs\n' });
  const p = tar.pack();
  p.entry({ name: 'put', mode: 0o644 }, 'P\n');
  p.finalize();
  await putArchive(h.svc, id, '/scratch', Readable.from(p), { noOverwriteDirNonDir: false, copyUIDGID: false });
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(`/proc/${pid}/root/scratch/put`, 'utf8'), 'P\n');
  assert.ok(!existsSync(join(h.svc.rootfsDir(id), 'scratch', 'put')), 'not hidden under the tmpfs in the rootfs');
});
