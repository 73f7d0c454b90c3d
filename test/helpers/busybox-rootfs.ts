import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's busybox-static installs its binary. */
export const busyboxPath = '/bin/busybox';

/**
 * Makes a minimal busybox root filesystem in `dir`: bin/busybox plus one symlink per applet,
 * /etc/passwd and /etc/group with root and nobody, and the usual empty mount points.
 * Fails with a clear message when busybox-static is missing (npm test installs it).
 */
export function makeBusyboxRootfs(dir: string): string {
  if (!existsSync(busyboxPath)) {
    throw new Error(`${busyboxPath} is missing: install Debian's busybox-static (npm test does this)`);
  }
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'var', 'run', 'home']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(busyboxPath, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(busyboxPath, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet === 'busybox') continue;
    const link = join(dir, 'bin', applet);
    if (!existsSync(link)) symlinkSync('busybox', link);
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}
