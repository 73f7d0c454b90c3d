import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isDaemonError } from '../../../client/index.ts';
import { StatusError, type Command, type CliContext } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { extractTar, packPath, splitCpArg } from './cp-tar.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files or directories into or out of a container',
    minArgs: 2,
    maxArgs: 2,
    flags: [
      { name: 'archive', short: 'a', kind: 'bool', description: 'Keep file owners (uid/gid) as they are' },
      { name: 'follow-link', short: 'L', kind: 'bool', description: 'Copy what a symlink in SRC_PATH points at, not the link' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print no progress while copying' },
    ],
  },
  async run(ctx, args, flags) {
    const [srcC, srcPath] = splitCpArg(args[0] as string);
    const [dstC, dstPath] = splitCpArg(args[1] as string);
    if (srcC && dstC) throw new UsageError('copying between containers is not supported');
    if (!srcC && !dstC) throw new UsageError('must specify at least one container source');
    if (srcC) return copyFromContainer(ctx, srcC, srcPath, dstPath);
    return copyToContainer(ctx, srcPath, dstC as string, dstPath, { keepOwner: flags.bool('archive'), followLink: flags.bool('follow-link') });
  },
};

async function copyFromContainer(ctx: CliContext, container: string, src: string, dest: string): Promise<number> {
  const { stream, stat } = await ctx.engine().containers.getArchive(container, src);
  if (dest === '-') {
    await pipeline(stream, ctx.stdout, { end: false });
    return 0;
  }
  const target = resolve(ctx.cwd, dest);
  const rootName = stat?.name ?? basename(src);
  const srcIsDir = stat ? (stat.mode & 0x80000000) !== 0 : src.endsWith('/');
  if (existsSync(target) && statSync(target).isDirectory()) {
    // Copy into the directory, keeping the source's name (or its contents with "/.").
    if (src.endsWith('/.') && srcIsDir) await extractTar(stream, target, { fromRoot: rootName, toRoot: '.' });
    else await extractTar(stream, target);
    return 0;
  }
  if (dest.endsWith('/') && !srcIsDir) {
    stream.resume();
    throw new StatusError(`Error: destination directory "${dest}" must exist`, 1);
  }
  if (!existsSync(dirname(target))) {
    stream.resume();
    throw new StatusError(`Error: destination directory "${dirname(dest)}" must exist`, 1);
  }
  await extractTar(stream, dirname(target), { fromRoot: rootName, toRoot: basename(target) });
  return 0;
}

async function copyToContainer(
  ctx: CliContext,
  src: string,
  container: string,
  dest: string,
  options: { keepOwner: boolean; followLink: boolean },
): Promise<number> {
  const engine = ctx.engine().containers;
  if (src === '-') {
    await engine.putArchive(container, dest, ctx.stdin, { noOverwriteDirNonDir: true });
    return 0;
  }
  const local = resolve(ctx.cwd, src);
  if (!existsSync(local)) throw new StatusError(`Error: lstat ${local}: no such file or directory`, 1);
  let destStat;
  try {
    destStat = await engine.statPath(container, dest);
  } catch (err) {
    if (!(isDaemonError(err) && err.status === 404)) throw err;
  }
  const destIsDir = destStat ? (destStat.mode & 0x80000000) !== 0 : false;
  let dir: string;
  let name: string;
  if (destStat && destIsDir) {
    dir = dest;
    name = src.endsWith('/.') ? '.' : basename(local);
  } else {
    if (!destStat && dest.endsWith('/')) throw new StatusError(`Error: destination directory "${dest}" must exist`, 1);
    dir = dirname(dest) || '/';
    name = basename(dest);
  }
  const tar = packPath(local, name, options);
  await engine.putArchive(container, dir, tar, { noOverwriteDirNonDir: true, copyUIDGID: options.keepOwner });
  return 0;
}
