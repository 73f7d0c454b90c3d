import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';

const dockerCli = '/usr/local/bin/docker';

function docker(d: TestDaemon, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
  delete env['DOCKER_CONTEXT'];
  const r = spawnSync(dockerCli, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Removes every container of the daemon (monitors outlive a stopped daemon: live restore). */
function removeAll(d: TestDaemon): void {
  const ids = docker(d, 'ps', '-aq').stdout.split('\n').filter(Boolean);
  if (ids.length) docker(d, 'rm', '-f', ...ids);
}

/**
 * A private berthd whose containers are all removed before it is stopped and its directory
 * deleted (the helper's own cleanup would leave their monitors running).
 */
async function daemonFor(t: { after: (fn: () => Promise<void>) => void }, options: { dir?: string } = {}): Promise<TestDaemon> {
  const cleanups: (() => Promise<void>)[] = [];
  const d = await startDaemon({ after: (fn) => cleanups.push(fn) }, options);
  t.after(async () => {
    removeAll(d);
    for (const fn of cleanups) await fn();
  });
  return d;
}

/** `docker import` of a busybox rootfs as busybox:latest. */
function importBusybox(d: TestDaemon): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-containers-rootfs-'));
  try {
    makeBusyboxRootfs(join(dir, 'rootfs'));
    const tarFile = join(dir, 'rootfs.tar');
    const t = spawnSync('tar', ['-C', join(dir, 'rootfs'), '-cf', tarFile, '.']);
    assert.equal(t.status, 0, String(t.stderr));
    const r = docker(d, 'import', '--change', 'CMD ["sh"]', tarFile, 'busybox:latest');
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the docker CLI runs the core container session against berthd', async (t) => {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing: the docker CLI 28.x is expected on this machine`);
  const d = await daemonFor(t);
  importBusybox(d);

  const hello = docker(d, 'run', '--rm', 'busybox', 'echo', 'hello');
  assert.equal(hello.status, 0, hello.stderr);
  assert.equal(hello.stdout, 'hello\n');
  assert.equal(docker(d, 'run', '--rm', 'busybox', 'sh', '-c', 'exit 7').status, 7);
  const notFound = docker(d, 'run', '--rm', 'busybox', '/no/such/binary');
  assert.equal(notFound.status, 127, notFound.stderr);

  const run = docker(d, 'run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done');
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = docker(d, 'ps', '--format', '{{.Names}} {{.Status}} {{.Image}}');
  assert.match(ps.stdout, /^web Up .* busybox$/m);

  // logs -f: follows new lines.
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
  const follow = spawn(dockerCli, ['logs', '-f', 'web'], { env });
  let followed = '';
  follow.stdout.on('data', (b: Buffer) => (followed += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`logs -f saw only: ${followed}`)), 20_000);
    const check = setInterval(() => {
      if (followed.includes('line 8')) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  follow.kill();
  assert.match(docker(d, 'logs', '--tail', '1', 'web').stdout, /^line \d+\n$/);

  const exec = docker(d, 'exec', 'web', 'sh', '-c', 'echo in-exec; exit 3');
  assert.equal(exec.status, 3);
  assert.equal(exec.stdout, 'in-exec\n');
  assert.equal(docker(d, 'inspect', '--format', '{{.State.Status}} {{.Name}}', 'web').stdout.trim(), 'running /web');

  const stop = docker(d, 'stop', '-t', '1', 'web');
  assert.equal(stop.status, 0, stop.stderr);
  assert.match(docker(d, 'ps', '-a', '--format', '{{.Names}} {{.Status}}').stdout, /^web Exited \(137\)/m);
  const rmRunning = docker(d, 'rm', 'web');
  assert.equal(rmRunning.status, 0, rmRunning.stderr);
  assert.equal(docker(d, 'ps', '-aq').stdout, '');
});

test('kill -9 of berthd with containers running, then restart: still running, logs intact, exits recorded', async (t) => {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing`);
  let d = await daemonFor(t);
  importBusybox(d);
  assert.equal(docker(d, 'run', '-d', '--name', 'keeper', 'busybox', 'sh', '-c', 'echo started; sleep 1000').status, 0);
  assert.equal(docker(d, 'run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 2; exit 5').status, 0);
  const pid = docker(d, 'inspect', '--format', '{{.State.Pid}}', 'keeper').stdout.trim();
  await d.kill();
  await new Promise((r) => setTimeout(r, 3000));
  d = await daemonFor(t, { dir: d.dir });
  assert.equal(docker(d, 'inspect', '--format', '{{.State.Status}} {{.State.Pid}}', 'keeper').stdout.trim(), `running ${pid}`);
  assert.equal(docker(d, 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'quitter').stdout.trim(), 'exited 5');
  assert.equal(docker(d, 'logs', 'keeper').stdout, 'started\n');
  assert.equal(docker(d, 'exec', 'keeper', 'echo', 'alive').stdout, 'alive\n');
  assert.equal(docker(d, 'rm', '-f', 'keeper', 'quitter').status, 0);
});

test('docker CLI: restart policy, healthcheck, stats, cp and docker-py against berthd', async (t) => {
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing`);
  assert.ok(existsSync('/usr/bin/python3'), '/usr/bin/python3 (with python3-docker) is missing');
  const d = await daemonFor(t);
  importBusybox(d);
  const crash = docker(d, 'run', '-d', '--name', 'crasher', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3');
  assert.equal(crash.status, 0, crash.stderr);
  const sick = docker(d, 'run', '-d', '--name', 'sick', '--health-cmd', 'false', '--health-interval', '200ms', '--health-retries', '2', 'busybox', 'sleep', '100');
  assert.equal(sick.status, 0, sick.stderr);
  const deadline = Date.now() + 20_000;
  let restarts = '';
  let health = '';
  while (Date.now() < deadline) {
    restarts = docker(d, 'inspect', '--format', '{{.RestartCount}} {{.State.Status}}', 'crasher').stdout.trim();
    health = docker(d, 'inspect', '--format', '{{.State.Health.Status}}', 'sick').stdout.trim();
    if (restarts === '2 exited' && health === 'unhealthy') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(restarts, '2 exited');
  assert.equal(health, 'unhealthy');
  assert.match(docker(d, 'ps', '--format', '{{.Names}} {{.Status}}').stdout, /^sick Up .* \(unhealthy\)$/m);

  const stats = docker(d, 'stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'sick');
  assert.equal(stats.status, 0, stats.stderr);
  assert.match(stats.stdout, /^sick [1-9]\d*$/m);

  const cp = docker(d, 'cp', 'sick:/etc/passwd', `${d.dir}/passwd`);
  assert.equal(cp.status, 0, cp.stderr);

  const py = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      [
        'import docker, sys',
        `c = docker.DockerClient(base_url="unix://${d.socket}")`,
        'ct = c.containers.run("busybox", ["sh", "-c", "echo py-out; sleep 100"], detach=True, name="py")',
        'r = ct.exec_run(["sh", "-c", "echo ex; exit 4"])',
        'print(r.exit_code, r.output.decode().strip())',
        'ct.reload(); print(ct.status, ct.name)',
        'ct.kill(); print(ct.wait()["StatusCode"])',
        'print(ct.logs().decode().strip())',
        'ct.remove()',
        'print(c.containers.run("busybox", ["echo", "rm-out"], remove=True).decode().strip())',
        'print(len(c.containers.list(all=True)))',
      ].join('\n'),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout, '4 ex\nrunning py\n137\npy-out\nrm-out\n2\n');
  removeAll(d);
  assert.equal(docker(d, 'ps', '-aq').stdout, '');
});
