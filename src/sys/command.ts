import { execFile } from 'node:child_process';
import { berthError, notFound } from '../lib/index.ts';
import type { ErrorCode } from '../lib/index.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a system tool (ip, iptables, nsenter...) without a shell and returns its output; a
 * non-zero exit becomes a BerthError carrying the tool's stderr:
 * `ip link add "br0" type bridge: RTNETLINK answers: File exists`. `codeFor` maps stderr to an
 * error code (default internal; "exists" → already-exists, "cannot find"/"no such" → not-found).
 */
export function runCommand(file: string, args: readonly string[], options: { action?: string; input?: string } = {}): Promise<CommandResult> {
  const action = options.action ?? `${file} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) {
        resolve({ stdout, stderr });
        return;
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(notFound(`${action}: ${file} is not installed`, err));
        return;
      }
      const detail = (stderr || stdout || err.message).trim().split('\n').slice(-3).join('; ');
      reject(berthError(codeFor(detail), `${action}: ${detail}`, err));
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

function codeFor(stderr: string): ErrorCode {
  const s = stderr.toLowerCase();
  if (s.includes('file exists') || s.includes('already exists')) return 'already-exists';
  if (s.includes('cannot find') || s.includes('no such') || s.includes('does not exist') || s.includes('not found')) return 'not-found';
  if (s.includes('permission denied') || s.includes('operation not permitted')) return 'permission-denied';
  if (s.includes('invalid argument') || s.includes('bad argument') || s.includes('invalid')) return 'invalid-argument';
  if (s.includes('resource busy')) return 'conflict';
  return 'internal';
}
