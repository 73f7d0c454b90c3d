import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { jsonStream } from '../../../client/index.ts';
import { StatusError, type Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { loadConfig } from '../../config/docker-config.ts';
import { packContext } from './build-context.ts';

function toMap(values: readonly string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i >= 0) out[v.slice(0, i)] = v.slice(i + 1);
    else if (env[v] !== undefined) out[v] = env[v] as string;
  }
  return out;
}

export const command: Command = {
  spec: {
    usage: '[OPTIONS] PATH | URL | -',
    description: 'Make an image by running the steps of a Dockerfile',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'build-arg', kind: 'list', description: 'Value for a build ARG (KEY=VALUE)' },
      { name: 'cache-from', kind: 'list', description: 'Image whose layers may be reused as cache' },
      { name: 'file', short: 'f', kind: 'string', description: 'Dockerfile to use (PATH/Dockerfile if not given)' },
      { name: 'force-rm', kind: 'bool', description: 'Delete step containers even when the build fails' },
      { name: 'label', kind: 'list', description: 'Label to attach to the image (key=value)' },
      { name: 'network', kind: 'string', description: 'Network that RUN steps use' },
      { name: 'no-cache', kind: 'bool', description: 'Run every step again instead of reusing cached results' },
      { name: 'platform', kind: 'string', description: 'Platform to use, as os[/arch[/variant]]' },
      { name: 'pull', kind: 'bool', description: 'Check the registry for newer base images' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print only the image ID once the build succeeds' },
      { name: 'rm', kind: 'bool', default: true, description: 'Delete step containers when the build succeeds' },
      { name: 'tag', short: 't', kind: 'list', description: 'Name to give the result, as "name" or "name:tag"' },
      { name: 'target', kind: 'string', description: 'Stage of a multi-stage Dockerfile to stop at' },
    ],
  },
  async run(ctx, args, flags) {
    const source = args[0] as string;
    const file = flags.string('file');
    let body;
    let dockerfile: string | undefined;
    let remote: string | undefined;
    if (source === '-') {
      if (file) throw new UsageError('cannot use --file with a context from stdin');
      body = ctx.stdin;
    } else if (/^(https?|git):\/\/|^git@/.test(source)) {
      remote = source;
      if (file) dockerfile = file;
    } else {
      const dir = resolve(ctx.cwd, source);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new StatusError(`unable to prepare context: path "${source}" not found`, 1);
      if (file === '-') {
        // The Dockerfile comes on stdin: it travels inside the context tar under a private name.
        const chunks: Buffer[] = [];
        for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Uint8Array));
        dockerfile = `.berth-dockerfile-${process.pid}`;
        body = await packContext(dir, { extra: [{ name: dockerfile, data: Buffer.concat(chunks) }] });
      } else {
        const dfPath = file ? resolve(ctx.cwd, file) : join(dir, 'Dockerfile');
        if (!existsSync(dfPath)) throw new StatusError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dfPath}: no such file or directory`, 1);
        const rel = relative(dir, dfPath);
        if (rel.startsWith('..') || isAbsolute(rel)) {
          // A Dockerfile outside the context travels inside the tar under a private name.
          dockerfile = `.berth-dockerfile-${process.pid}`;
          body = await packContext(dir, { extra: [{ name: dockerfile, data: readFileSync(dfPath) }] });
        } else {
          dockerfile = rel.split(sep).join('/');
          body = await packContext(dir, { keep: [dockerfile] });
        }
      }
    }
    const config = loadConfig(ctx.configDir);
    const auths: Record<string, { username?: string; password?: string; serveraddress: string }> = {};
    for (const [host, entry] of Object.entries(config.auths ?? {})) {
      if (!entry.auth) continue;
      const text = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      auths[host] = { username: text.slice(0, i), password: text.slice(i + 1), serveraddress: host };
    }
    const quiet = flags.bool('quiet');
    const network = flags.string('network');
    const target = flags.string('target');
    const platform = flags.string('platform');
    const res = await ctx.engine().builder.build(body, {
      tags: flags.list('tag'),
      ...(dockerfile ? { dockerfile } : {}),
      ...(remote ? { remote } : {}),
      buildArgs: toMap(flags.list('build-arg'), ctx.env),
      labels: toMap(flags.list('label'), {}),
      ...(target ? { target } : {}),
      noCache: flags.bool('no-cache'),
      pull: flags.bool('pull'),
      quiet,
      ...(network ? { networkMode: network } : {}),
      ...(platform ? { platform } : {}),
      rm: flags.bool('rm'),
      forceRm: flags.bool('force-rm'),
      cacheFrom: flags.list('cache-from'),
      ...(Object.keys(auths).length ? { registryConfig: Buffer.from(JSON.stringify(auths)).toString('base64url') } : {}),
    });
    let imageId: string | undefined;
    let quietText = '';
    for await (const m of jsonStream(res)) {
      if (m.error || m.errorDetail?.message) {
        throw new StatusError(m.errorDetail?.message ?? m.error ?? 'build failed', 1);
      }
      const aux = m.aux as { ID?: string } | undefined;
      if (aux?.ID) imageId = aux.ID;
      if (quiet) {
        if (m.stream !== undefined) quietText += m.stream;
        continue;
      }
      if (m.stream !== undefined) ctx.out(m.stream);
      else if (m.status) ctx.out((m.id ? `${m.id}: ` : '') + m.status + '\n');
    }
    if (quiet) {
      const id = imageId ?? quietText.trim().split('\n').pop();
      if (id) ctx.out(id + '\n');
    }
    return 0;
  },
};
