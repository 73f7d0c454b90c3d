// bench/build: cold build, no-change rebuild and one-file-changed rebuild of the same context,
// through the docker CLI's legacy builder, against berthd and (when installed) a private dockerd.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, unmountUnder } from '../../test/helpers/daemon.ts';
import { makeBusyboxRootfs } from '../../test/helpers/busybox-rootfs.ts';
import { fmtMs, median, ratio, startDockerd, timeDocker } from '../helpers/peers.ts';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const legacy = { DOCKER_BUILDKIT: '0' };

function makeContext(dir: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'src', `f${i}.txt`), `file ${i}\n`.repeat(100));
  writeFileSync(join(dir, 'app.sh'), '#!/bin/sh\necho app\n');
  writeFileSync(
    join(dir, 'Dockerfile'),
    ['FROM busybox', 'ENV APP=/app', 'WORKDIR /app', 'COPY src/ ./src/', 'RUN ls src | wc -l > count', 'COPY app.sh ./', 'CMD ["./app.sh"]'].join('\n'),
  );
}

/** cold (no cache), cached (nothing changed), one file changed: medians in ms. */
function measure(socket: string, ctx: string): { cold: number; cached: number; changed: number } {
  const cold: number[] = [];
  const cached: number[] = [];
  const changed: number[] = [];
  const build = (extra: string[]) => timeDocker(socket, ['build', '-q', ...extra, '-t', 'bench:build', '.'], { cwd: ctx, env: legacy });
  build([]);
  for (let i = 0; i < runs; i++) {
    cold.push(build(['--no-cache']));
    cached.push(build([]));
    writeFileSync(join(ctx, 'app.sh'), `#!/bin/sh\necho app ${i} ${Date.now()}\n`);
    changed.push(build([]));
  }
  return { cold: median(cold), cached: median(cached), changed: median(changed) };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-build-'));
  try {
    const rootfs = join(scratch, 'rootfs');
    makeBusyboxRootfs(rootfs);
    const tar = join(scratch, 'rootfs.tar');
    spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    const ctx = join(scratch, 'ctx');
    makeContext(ctx);

    const d = await startDaemon(undefined, { dir: join(scratch, 'berthd') });
    let berth;
    try {
      timeDocker(d.socket, ['import', tar, 'busybox:latest']);
      berth = measure(d.socket, ctx);
    } finally {
      await d.cleanup();
    }
    let docker = { cold: NaN, cached: NaN, changed: NaN };
    const dd = await startDockerd(join(scratch, 'dockerd'));
    if (dd) {
      try {
        timeDocker(dd.socket, ['import', tar, 'busybox:latest']);
        docker = measure(dd.socket, ctx);
      } finally {
        await dd.stop();
      }
    }
    console.log(`bench/build (median of ${runs}; DOCKER_BUILDKIT=0 docker build drives both daemons)`);
    console.log(`${'measure'.padEnd(34)}${'berthd'.padStart(10)}${'dockerd'.padStart(10)}${'ratio'.padStart(8)}`);
    for (const k of ['cold', 'cached', 'changed'] as const) {
      const name = { cold: 'cold build (--no-cache)', cached: 'rebuild, nothing changed', changed: 'rebuild, one file changed' }[k];
      console.log(`${name.padEnd(34)}${fmtMs(berth[k]).padStart(10)}${fmtMs(docker[k]).padStart(10)}${ratio(berth[k], docker[k]).padStart(8)}`);
    }
    if (!dd) console.log('dockerd: not installed or did not start (apt-get install docker.io for the comparison; PEERS.md: cold 787 ms, cached 120 ms)');
  } finally {
    unmountUnder(scratch);
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
