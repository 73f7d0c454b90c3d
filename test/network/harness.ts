import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainPrefixFor } from '../../src/daemon/network-wiring.ts';
import { BridgeFirewall } from '../../src/network/index.ts';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.ts';
import { startDaemon, type StartDaemonOptions, type TestDaemon } from '../helpers/daemon.ts';

export const dockerCli = '/usr/local/bin/docker';

export interface NetDaemon {
  d: TestDaemon;
  /** The default bridge's interface and gateway of this daemon. */
  bridge: string;
  gateway: string;
  docker(...args: string[]): { status: number | null; stdout: string; stderr: string };
  /** docker, asserting success; returns trimmed stdout. */
  ok(...args: string[]): string;
}

/** A unique name with a prefix (global names: bridges, networks, chains). */
export const unique = (prefix: string) => `${prefix}${randomBytes(3).toString('hex')}`;

/**
 * A berthd with a default bridge of its own (unique interface, a 10.x/24 --bip) and a busybox
 * image imported with the docker CLI. Cleanup removes the containers, the user networks, the
 * bridge and the daemon's iptables chains.
 */
export async function startNetDaemon(t: { after: (fn: () => Promise<void>) => void }, options: StartDaemonOptions = {}): Promise<NetDaemon> {
  if (process.getuid?.() !== 0) throw new Error('network tests need root (namespaces, veth, iptables)');
  assert.ok(existsSync(dockerCli), `${dockerCli} is missing: the docker CLI is expected on this machine`);
  const bridge = unique('bt');
  const b = randomBytes(2);
  const gateway = `10.${200 + (b[0]! % 50)}.${b[1]}.1`;
  // the daemon's own cleanup runs after ours (ours needs it up)
  const daemonCleanups: (() => Promise<void>)[] = [];
  const d = await startDaemon({ after: (fn) => daemonCleanups.push(fn) }, { ...options, args: ['--bridge', bridge, '--bip', `${gateway}/24`, ...(options.args ?? [])] });
  const docker = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` };
    delete env['DOCKER_CONTEXT'];
    const r = spawnSync(dockerCli, args, { encoding: 'utf8', env, timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = docker(...args);
    assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  };
  const n: NetDaemon = { d, bridge, gateway, docker, ok };
  t.after(async () => {
    const bridges = JSON.parse(docker('network', 'inspect', ...docker('network', 'ls', '-q').stdout.trim().split('\n').filter(Boolean)).stdout || '[]') as { Id: string; Options: Record<string, string> }[];
    const ids = docker('ps', '-aq').stdout.trim().split('\n').filter(Boolean);
    if (ids.length) docker('rm', '-f', ...ids);
    for (const name of docker('network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}').stdout.trim().split('\n').filter(Boolean)) {
      docker('network', 'rm', name);
    }
    await d.stop().catch(() => undefined);
    for (const fn of daemonCleanups) await fn().catch(() => undefined);
    for (const b of [bridge, ...bridges.map((x) => x.Options['com.docker.network.bridge.name'] ?? `br-${x.Id.slice(0, 12)}`)]) {
      spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
    }
    await new BridgeFirewall({ prefix: chainPrefixFor(bridge) }).teardown().catch(() => undefined);
  });
  importBusybox(n);
  return n;
}

function importBusybox(n: NetDaemon): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-network-rootfs-'));
  try {
    makeBusyboxRootfs(join(dir, 'rootfs'));
    const tarFile = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', tarFile, '.']);
    n.ok('import', '--change', 'CMD ["sh"]', tarFile, 'busybox:latest');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shell command of a busybox httpd serving "hello from <name>" on port 80 in the foreground. */
export const httpd = (name: string) => `mkdir -p /www && echo hello from ${name} > /www/index.html && exec httpd -f -p 80 -h /www`;

/** GET http://host:port/path from the host; retries while the server comes up. */
export async function httpGet(host: string, port: number, path = '/', tries = 40): Promise<string> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = request({ host, port, path, timeout: 3000 }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(body));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`GET http://${host}:${port}${path}: ${String(last)}`);
}

/** Host veths attached to a bridge. */
export function vethsOn(bridge: string): string[] {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]!);
}

/** Every iptables rule (nat and filter) mentioning `word`. */
export function rulesMentioning(word: string): string[] {
  const out: string[] = [];
  for (const table of ['nat', 'filter']) {
    const r = spawnSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' });
    out.push(...r.stdout.split('\n').filter((l) => l.includes(word)));
  }
  return out;
}
