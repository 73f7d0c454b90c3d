import type { Command, CliContext } from '../../context.ts';
import { StatusError } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { authKey, dockerHubAuthKey, storeAuth } from '../../config/docker-config.ts';

/** Reads one line from stdin; with `hidden` on a terminal, echo is off (raw mode). */
export async function promptLine(ctx: CliContext, prompt: string, hidden: boolean): Promise<string> {
  ctx.err(prompt);
  const stdin = ctx.stdin;
  const raw = hidden && stdin.isTTY && stdin.setRawMode;
  if (raw) stdin.setRawMode?.(true);
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (value: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (raw) stdin.setRawMode?.(false);
      stdin.pause();
      if (hidden) ctx.err('\n');
      resolve(value);
    };
    const onData = (d: Buffer | string) => {
      const s = d.toString();
      for (const ch of s) {
        if (ch === '\n' || ch === '\r') return finish(buf);
        if (ch === '\u0003') {
          finish('');
          return reject(new StatusError('', 130));
        }
        if (ch === '\u007f') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const onEnd = () => finish(buf);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

async function readAllStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const command: Command = {
  spec: {
    usage: '[OPTIONS] [SERVER]',
    description: 'Store credentials for a registry (default registry if none is named)',
    maxArgs: 1,
    flags: [
      { name: 'password', short: 'p', kind: 'string', description: 'Registry password' },
      { name: 'password-stdin', kind: 'bool', description: 'Read the password from stdin' },
      { name: 'username', short: 'u', kind: 'string', description: 'Registry user name' },
    ],
  },
  async run(ctx, args, flags) {
    const server = args[0] ?? 'docker.io';
    let username = flags.string('username');
    let password = flags.string('password');
    if (flags.bool('password-stdin')) {
      if (password) throw new UsageError('--password and --password-stdin are mutually exclusive');
      if (!username) throw new UsageError('Must provide --username with --password-stdin');
      password = await readAllStdin(ctx);
    } else if (password) {
      ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username) username = (await promptLine(ctx, 'Username: ', false)).trim();
    if (!username) throw new StatusError('Error: Non-null Username Required', 1);
    if (!password) password = await promptLine(ctx, 'Password: ', true);
    if (!password) throw new StatusError('Error: Non-null Password Required', 1);
    const address = authKey(server.replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
    const r = await ctx.engine().system.auth({ username, password, serveraddress: address === dockerHubAuthKey ? dockerHubAuthKey : address });
    await storeAuth(ctx.configDir, server.replace(/^https?:\/\//, '').replace(/\/.*$/, ''), {
      username,
      password: r.IdentityToken ? '' : password,
      ...(r.IdentityToken ? { identitytoken: r.IdentityToken } : {}),
    });
    ctx.out(`${r.Status || 'Login Succeeded'}\n`);
    return 0;
  },
};
