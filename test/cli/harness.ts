import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/index.ts';

export const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export interface BerthResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the berth CLI in this process against `host` (fast: no node start per command), with
 * `input` as stdin. Output is captured as text.
 */
export async function berth(
  host: string,
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string>; cwd?: string } = {},
): Promise<BerthResult> {
  let stdout = '';
  let stderr = '';
  const out = new Writable({ write: (c, _e, cb) => ((stdout += c.toString()), cb()) });
  const err = new Writable({ write: (c, _e, cb) => ((stderr += c.toString()), cb()) });
  const input = options.input === undefined ? [] : [Buffer.from(options.input)];
  const code = await runCli(args, {
    stdin: Readable.from(input),
    stdout: out,
    stderr: err,
    env: { HOME: '/nonexistent-home', ...options.env, BERTH_HOST: host },
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}

/** Like `berth` but asserts exit 0 and returns stdout; the failure message carries stderr. */
export async function ok(host: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string>; cwd?: string } = {}): Promise<string> {
  const r = await berth(host, args, options);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The berth entry point as a command line (TypeScript through tsx: no build needed). */
export function berthCommand(): string[] {
  return [process.execPath, '--import', 'tsx', join(root, 'src/cmd/berth.ts')];
}

/** Runs berth as its own process (exit status and signals as a user sees them). */
export function berthProcess(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<BerthResult> {
  const [cmd, ...pre] = berthCommand();
  const env = { ...process.env, ...options.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, [...pre, ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Drives `berth <args>` through a real pty (util-linux `script`). Each step waits until the output
 * matches `after` (or `wait` ms), then types `send`. The session is killed after `timeoutMs`.
 */
export function berthInPty(
  args: string[],
  steps: { after?: RegExp; wait?: number; send: string }[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<BerthResult> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = [...berthCommand(), ...args].map(quote).join(' ');
  const full = { ...process.env, ...env };
  delete full['NODE_EXTRA_CA_CERTS'];
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', line, '/dev/null'], { cwd: root, env: full, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let closed = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => reject(new Error(`script (util-linux) is needed for pty tests: ${e.message}`)));
    const killer = setTimeout(() => {
      stderr += `\n[pty session killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      closed = true;
      clearTimeout(killer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    void (async () => {
      for (const s of steps) {
        if (s.after) {
          const after = s.after;
          while (!closed && !after.test(stdout)) await new Promise((r) => setTimeout(r, 50));
        }
        if (s.wait) await new Promise((r) => setTimeout(r, s.wait));
        if (closed) return;
        child.stdin.write(s.send);
      }
    })();
  });
}

/** Options for startDaemon; BERTH_TEST_BERTHD_TSX=1 runs berthd from source through tsx. */
export const daemonOptions = process.env.BERTH_TEST_BERTHD_TSX
  ? { command: [process.execPath, '--import', 'tsx', join(root, 'src/cmd/berthd.ts')] }
  : {};

/**
 * The daemon a CLI end-to-end test talks to: a private berthd (startDaemon), or the daemon at
 * BERTH_CLI_TEST_HOST when set (to check the CLI against another Engine API, e.g. a dockerd).
 */
export async function cliDaemon(t: { after: (fn: () => Promise<void>) => void }): Promise<{ host: string }> {
  const external = process.env.BERTH_CLI_TEST_HOST;
  if (external) return { host: external };
  const { startDaemon } = await import('../helpers/daemon.ts');
  return startDaemon(t, daemonOptions);
}

/** A busybox image tar (one layer) made from this machine's busybox-static, for `berth import`. */
export async function busyboxTar(): Promise<Buffer> {
  const { makeBusyboxRootfs } = await import('../helpers/busybox-rootfs.ts');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-rootfs-'));
  try {
    makeBusyboxRootfs(dir);
    return execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
