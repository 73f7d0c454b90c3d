import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { berth, berthCommand, berthInPty, busyboxTar, ok } from './harness.ts';
import { cliWorkspace } from './workspace.ts';

// One daemon for the whole file (containers are cheap, daemons are not); each subtest uses its
// own container names with a per-run suffix so a shared daemon is never confused.
test('berth drives containers end to end', async (t) => {
  const { host: h, sfx, work, name } = await cliWorkspace(t, { sfx: `c${process.pid}`, prefix: 'berth-cli-e2e-' });

  await t.test('import makes the busybox image and images lists it', async () => {
    const out = await ok(h, ['import', '-', `busybox:latest`], { input: await busyboxTar() });
    assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
    const images = await ok(h, ['images']);
    assert.match(images, /^REPOSITORY {3}TAG {7}IMAGE ID {7}CREATED {2,}SIZE\n/);
    assert.match(images, /\nbusybox {6}latest {4}[0-9a-f]{12} {3}/);
    assert.match(await ok(h, ['images', '-q']), /^[0-9a-f]{12}\n/);
  });

  await t.test('run --rm prints output and returns the exit status', async () => {
    assert.deepEqual(await berth(h, ['run', '--rm', 'busybox', 'echo', 'hello']), { code: 0, stdout: 'hello\n', stderr: '' });
    const r = await berth(h, ['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const env = await ok(h, ['run', '--rm', '-e', 'A=1', '-e', 'FROM_HOST', '-w', '/tmp', '-u', '65534', '--hostname', 'hx', 'busybox', 'sh', '-c', 'echo $A $FROM_HOST $(pwd) $(id -u) $(hostname)'], { env: { FROM_HOST: 'yes' } });
    assert.equal(env, '1 yes /tmp 65534 hx\n');
    assert.equal(await ok(h, ['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via-entrypoint']), 'via-entrypoint\n');
    assert.equal(await ok(h, ['run', '--rm', '-i', 'busybox', 'cat'], { input: 'piped stdin\n' }), 'piped stdin\n');
  });

  await t.test('run failures use docker exit codes 125, 126 and 127', async () => {
    const notFound = await berth(h, ['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(notFound.code, 127, notFound.stderr);
    const notExec = await berth(h, ['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    const noImage = await berth(h, ['run', '--rm', '--pull', 'never', 'no-such-image:v9', 'true']);
    assert.equal(noImage.code, 125);
    assert.match(noImage.stderr, /^berth: Error response from daemon: .*no-such-image/);
    const badFlag = await berth(h, ['run', '-p', '1:2:3:4', 'busybox']);
    assert.equal(badFlag.code, 125);
  });

  await t.test('run -d, ps, logs, exec, inspect, top, stats, diff', async () => {
    const web = name('web');
    const id = (await ok(h, ['run', '-d', '--name', web, '-l', 'tier=front', 'busybox', 'sh', '-c', 'echo started; echo oops >&2; touch /made-here; while true; do sleep 1; done'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await ok(h, ['ps', '--filter', `name=${web}`]);
    assert.match(ps, /^CONTAINER ID {3}IMAGE {5}COMMAND {18}CREATED {2,}STATUS {2,}PORTS {5}NAMES\n/);
    assert.match(ps, new RegExp(`\\n${id.slice(0, 12)} {3}busybox {3}"sh -c '?echo started.?…" +\\S.* ago {3}Up .* {3}${web}\\n`));
    assert.equal(await ok(h, ['ps', '--filter', `name=${web}`, '--format', '{{.Names}} {{.Label "tier"}} {{.State}}']), `${web} front running\n`);
    assert.equal(await ok(h, ['ps', '-q', '--no-trunc', '--filter', `label=tier=front`]), id + '\n');
    const json = JSON.parse(await ok(h, ['ps', '--filter', `id=${id}`, '--format', '{{json .}}'])) as Record<string, string>;
    assert.equal(json.ID, id.slice(0, 12));
    assert.equal(json.Names, web);
    // Logs keep stdout and stderr apart.
    let logs = await berth(h, ['logs', web]);
    for (let i = 0; i < 50 && !logs.stdout.includes('started'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = await berth(h, ['logs', web]);
    }
    assert.equal(logs.stdout, 'started\n');
    assert.equal(logs.stderr, 'oops\n');
    assert.match((await ok(h, ['logs', '-t', '--tail', '2', web])), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started\n$/);
    // exec returns the process's status, takes env/workdir/user.
    const ex = await berth(h, ['exec', '-e', 'X=9', '-w', '/etc', web, 'sh', '-c', 'echo $X $(pwd); exit 5']);
    assert.deepEqual([ex.code, ex.stdout], [5, '9 /etc\n']);
    assert.equal(await ok(h, ['exec', '-u', '65534', web, 'id', '-u']), '65534\n');
    assert.ok([126, 127].includes((await berth(h, ['exec', web, 'no-such-command'])).code));
    // inspect
    assert.equal(await ok(h, ['inspect', '--format', '{{.State.Running}} {{.Config.Labels.tier}} {{json .Config.Cmd}}', web]), `true front ["sh","-c","echo started; echo oops >&2; touch /made-here; while true; do sleep 1; done"]\n`);
    const inspected = JSON.parse(await ok(h, ['container', 'inspect', web])) as { Id: string }[];
    assert.equal(inspected[0]?.Id, id);
    const missing = await berth(h, ['inspect', web, 'nothing-here']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: No such object: nothing-here\n$/);
    assert.equal((JSON.parse(missing.stdout) as unknown[]).length, 1);
    // top, stats, diff
    const top = await ok(h, ['top', web]);
    assert.match(top, /^UID +PID +PPID .*CMD\n/);
    assert.match(top, /sh -c echo started/);
    const stats = await ok(h, ['stats', '--no-stream', web]);
    assert.match(stats, /^CONTAINER ID {3}NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS\n/);
    assert.match(stats, new RegExp(`\\n${id.slice(0, 12)} {3}${web} +\\d+\\.\\d\\d% +\\S+ / \\S+ +\\d+\\.\\d\\d%`));
    assert.match(await ok(h, ['diff', web]), /^A \/made-here$/m);
  });

  // stdin that ends at once must still reach the process: the daemon has to read the upgraded
  // connection only once the exec's stdin is wired (repeated, as the loss is a race).
  await t.test('exec -i delivers stdin that ends immediately', async () => {
    const c = name('execin');
    await ok(h, ['run', '-d', '--name', c, 'busybox', 'sleep', '600']);
    for (let i = 0; i < 5; i++) assert.equal(await ok(h, ['exec', '-i', c, 'cat'], { input: `to exec ${i}\n` }), `to exec ${i}\n`, `attempt ${i}`);
  });

  await t.test('rename, pause, unpause, update, stop, start, restart, kill, wait, rm', async () => {
    const a = name('life');
    const b = name('life2');
    await ok(h, ['run', '-d', '--name', a, 'busybox', 'sleep', '600']);
    assert.equal(await ok(h, ['rename', a, b]), '');
    assert.equal(await ok(h, ['pause', b]), `${b}\n`);
    assert.match(await ok(h, ['ps', '--filter', `name=${b}`, '--format', '{{.Status}}']), /\(Paused\)/);
    assert.equal(await ok(h, ['unpause', b]), `${b}\n`);
    assert.equal(await ok(h, ['update', '--memory', '64m', '--memory-swap', '128m', b]), `${b}\n`);
    assert.equal(await ok(h, ['inspect', '-f', '{{.HostConfig.Memory}}', b]), `${64 * 1024 * 1024}\n`);
    assert.equal(await ok(h, ['stop', '-t', '1', b]), `${b}\n`);
    assert.equal(await ok(h, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', b]), 'exited 137\n');
    assert.equal(await ok(h, ['start', b]), `${b}\n`);
    assert.equal(await ok(h, ['restart', '-t', '0', b]), `${b}\n`);
    assert.equal(await ok(h, ['kill', '-s', 'KILL', b]), `${b}\n`);
    assert.equal(await ok(h, ['wait', b]), '137\n');
    const all = await ok(h, ['ps', '-a', '--filter', `name=${b}`, '--format', '{{.Status}}']);
    assert.match(all, /^Exited \(137\) /);
    const trapper = name('trap');
    await ok(h, ['run', '-d', '--name', trapper, 'busybox', 'sh', '-c', 'trap "exit 43" USR1; while true; do sleep 0.2; done']);
    assert.equal(await ok(h, ['kill', '--signal', 'USR1', trapper]), `${trapper}\n`);
    assert.equal(await ok(h, ['wait', trapper]), '43\n');
    assert.equal(await ok(h, ['rm', b]), `${b}\n`);
    const again = await berth(h, ['rm', b]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error response from daemon: .*No such container/i);
  });

  await t.test('create then start -a, and attach to a running container', async () => {
    const c = name('created');
    const id = (await ok(h, ['create', '--name', c, 'busybox', 'sh', '-c', 'echo from-start; exit 2'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const started = await berth(h, ['start', '-a', c]);
    assert.deepEqual([started.code, started.stdout], [2, 'from-start\n']);
    const att = name('attached');
    await ok(h, ['run', '-d', '--name', att, 'busybox', 'sh', '-c', 'sleep 2; echo late-line; exit 4']);
    const attached = await berth(h, ['attach', att]);
    assert.deepEqual([attached.code, attached.stdout], [4, 'late-line\n']);
  });

  await t.test('volumes, binds, tmpfs and a read-only root', async () => {
    const vol = `vol-${sfx}`;
    t.after(async () => void (await berth(h, ['volume', 'rm', '-f', vol])));
    await ok(h, ['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'sh', '-c', 'echo persisted > /data/f']);
    assert.equal(await ok(h, ['run', '--rm', '-v', `${vol}:/data:ro`, 'busybox', 'cat', '/data/f']), 'persisted\n');
    const hostDir = join(work, 'bind');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'in.txt'), 'from host\n');
    assert.equal(await ok(h, ['run', '--rm', '--mount', `type=bind,source=${hostDir},target=/b`, 'busybox', 'sh', '-c', 'cat /b/in.txt; echo back > /b/out.txt']), 'from host\n');
    assert.equal(readFileSync(join(hostDir, 'out.txt'), 'utf8'), 'back\n');
    assert.match(await ok(h, ['run', '--rm', '--tmpfs', '/scratch', 'busybox', 'sh', '-c', 'grep " /scratch " /proc/mounts']), /^tmpfs \/scratch tmpfs /);
    const ro = await berth(h, ['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    writeFileSync(join(work, 'app.env'), '# settings\nGREETING=hi there\n');
    assert.equal(await ok(h, ['run', '--rm', '--env-file', join(work, 'app.env'), 'busybox', 'sh', '-c', 'echo "$GREETING"']), 'hi there\n');
  });

  await t.test('cp copies files and directories both ways', async () => {
    const c = name('cp');
    await ok(h, ['run', '-d', '--name', c, 'busybox', 'sleep', '600']);
    const src = join(work, 'tree');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'alpha\n');
    writeFileSync(join(src, 'sub', 'b.txt'), 'beta\n');
    symlinkSync('a.txt', join(src, 'link'));
    await ok(h, ['cp', src, `${c}:/tmp/`]);
    assert.equal(await ok(h, ['exec', c, 'sh', '-c', 'cat /tmp/tree/a.txt /tmp/tree/sub/b.txt; readlink /tmp/tree/link']), 'alpha\nbeta\na.txt\n');
    await ok(h, ['cp', join(src, 'a.txt'), `${c}:/tmp/renamed.txt`]);
    assert.equal(await ok(h, ['exec', c, 'cat', '/tmp/renamed.txt']), 'alpha\n');
    await ok(h, ['cp', `${c}:/tmp/tree`, join(work, 'back')]);
    assert.equal(readFileSync(join(work, 'back', 'sub', 'b.txt'), 'utf8'), 'beta\n');
    assert.equal(readlinkSync(join(work, 'back', 'link')), 'a.txt');
    await ok(h, ['cp', `${c}:/etc/passwd`, join(work, 'passwd')]);
    assert.match(readFileSync(join(work, 'passwd'), 'utf8'), /^root:x:0:0:/);
    const missing = await berth(h, ['cp', `${c}:/no/such/file`, join(work, 'nothing')]);
    assert.equal(missing.code, 1);
    assert.equal(existsSync(join(work, 'nothing')), false);
  });

  await t.test('commit, tag, history, save, load and rmi', async () => {
    const c = name('snap');
    await ok(h, ['run', '--name', c, 'busybox', 'sh', '-c', 'echo baked > /baked.txt']);
    const img = `berth-cli-commit-${sfx}`;
    const imgId = (await ok(h, ['commit', '-m', 'baked in', '-c', 'ENV BAKED=1', c, `${img}:v1`])).trim();
    assert.match(imgId, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok(h, ['run', '--rm', `${img}:v1`, 'sh', '-c', 'cat /baked.txt; echo $BAKED']), 'baked\n1\n');
    assert.equal(await ok(h, ['tag', `${img}:v1`, `${img}:v2`]), '');
    assert.match(await ok(h, ['images', img]), new RegExp(`\\n${img} +v1 `));
    const history = await ok(h, ['history', `${img}:v1`]);
    assert.match(history, /^IMAGE {10}CREATED {2,}CREATED BY {2,}SIZE {2,}COMMENT\n/);
    assert.match(history, /baked in/);
    const saved = join(work, 'saved.tar');
    await ok(h, ['save', '-o', saved, `${img}:v2`]);
    assert.match(execFileSync('tar', ['-tf', saved], { encoding: 'utf8' }), /manifest\.json/);
    const rmi = await ok(h, ['rmi', `${img}:v1`, `${img}:v2`]);
    assert.match(rmi, new RegExp(`Untagged: ${img}:v1\\n`));
    assert.match(rmi, /Deleted: sha256:/);
    assert.match(await ok(h, ['load', '-i', saved]), new RegExp(`Loaded image: ${img}:v2`));
    assert.equal(await ok(h, ['image', 'inspect', '-f', '{{.Id}}', `${img}:v2`]), imgId + '\n');
    await ok(h, ['rmi', `${img}:v2`]);
  });

  await t.test('run --rm leaves nothing, logs -f follows to the end, run forwards signals', async () => {
    const gone = `gone-${sfx}`;
    await ok(h, ['run', '--rm', '--name', gone, 'busybox', 'true']);
    assert.equal(await ok(h, ['ps', '-a', '-q', '--filter', `name=${gone}`]), '');
    const f = name('follow');
    await ok(h, ['run', '-d', '--name', f, 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo tick$i; sleep 0.5; done']);
    assert.equal(await ok(h, ['logs', '-f', f]), 'tick1\ntick2\ntick3\n');
    // SIGTERM to the CLI reaches the container (sig-proxy), whose trap decides the status.
    const sig = name('sig');
    const [cmd, ...pre] = berthCommand();
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOST: h };
    delete env['NODE_EXTRA_CA_CERTS'];
    const child = spawn(cmd as string, [...pre, 'run', '--name', sig, 'busybox', 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while true; do sleep 0.1; done'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    for (let i = 0; i < 300 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /ready/);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('close', r));
    assert.equal(code, 42);
    assert.match(out, /got-term/);
  });

  await t.test('run -it works through a real pty and returns the shell status', async () => {
    const r = await berthInPty(
      ['-H', h, 'run', '-it', '--rm', 'busybox', 'sh'],
      [
        { after: /\/ # /, wait: 200, send: 'echo pty-$((6*7))\r' },
        { after: /pty-42/, send: 'tty\r' },
        { after: /\/dev\/(pts\/\d+|console)/, send: 'exit 7\r' },
      ],
      {},
    );
    assert.match(r.stdout, /pty-42/);
    assert.match(r.stdout, /\/dev\/pts\/\d+|\/dev\/console/);
    assert.equal(r.code, 7, r.stdout + r.stderr);
  });

  await t.test('ctrl-p ctrl-q detaches from run -it and leaves the container running', async () => {
    const c = name('detach');
    const r = await berthInPty(
      ['-H', h, 'run', '-it', '--name', c, 'busybox', 'sh'],
      [
        { after: /\/ # /, wait: 200, send: 'echo before-$((1+1))-detach\r' },
        { after: /before-2-detach/, wait: 200, send: '\x10\x11' },
      ],
      {},
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /before-2-detach/);
    assert.equal(await ok(h, ['inspect', '-f', '{{.State.Running}}', c]), 'true\n');
  });

  await t.test('export writes the container filesystem as a tar', async () => {
    const c = name('exported');
    await ok(h, ['run', '--name', c, 'busybox', 'sh', '-c', 'echo baked > /baked.txt']);
    const tarPath = join(work, 'export.tar');
    await ok(h, ['export', '-o', tarPath, c]);
    const listing = execFileSync('tar', ['-tf', tarPath], { encoding: 'utf8' });
    assert.match(listing, /^(\.\/)?baked\.txt$/m);
    assert.match(listing, /^(\.\/)?bin\/busybox$/m);
    const piped = await berth(h, ['export', c]);
    assert.equal(piped.code, 0);
    assert.ok(piped.stdout.length > 100_000);
    // The daemon is still there afterwards.
    assert.match(await ok(h, ['ps', '-a', '--filter', `name=${c}`, '--format', '{{.Names}}']), new RegExp(c));
  });
});
