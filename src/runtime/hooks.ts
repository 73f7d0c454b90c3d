import { spawn } from 'node:child_process';
import { internal } from '../lib/index.ts';
import type { Hook } from './spec/index.ts';

/** Runs one hook with the state JSON on stdin; rejects on a non-zero exit or its timeout. */
export function runHook(kind: string, hook: Hook, state: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    const env: Record<string, string> = {};
    for (const e of hook.env ?? []) {
      const i = e.indexOf('=');
      if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
    }
    const child = spawn(hook.path, args.slice(1), { argv0: args[0] ?? hook.path, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    if (hook.timeout && hook.timeout > 0) {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(internal(`${kind} hook ${JSON.stringify(hook.path)}: timed out after ${hook.timeout}s`));
      }, hook.timeout * 1000);
    }
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(internal(`${kind} hook ${JSON.stringify(hook.path)}: ${err.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(internal(`${kind} hook ${JSON.stringify(hook.path)}: exit status ${code ?? 128 + (sig ? 9 : 0)}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(state);
  });
}

/** Runs hooks in order; the first failure rejects. */
export async function runHooks(kind: string, hooks: readonly Hook[] | undefined, state: string): Promise<void> {
  for (const h of hooks ?? []) await runHook(kind, h, state);
}
