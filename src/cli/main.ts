import { homedir } from 'node:os';
import { join } from 'node:path';
import { messageOf, BerthError } from '../lib/index.ts';
import { Engine, DaemonUnreachableError, isDaemonError, resolveDaemonHost, loadTls, type TlsOptions } from '../client/index.ts';
import { parseFlags, helpText, checkArgs, isUsageError, type CommandSpec, type FlagSpec } from './parse/flags.ts';
import { commandTable, resolveCommand, shortcuts } from './commands/table.ts';
import { StatusError, type CliContext, type CliIO } from './context.ts';
import { berthVersion, berthGitCommit } from './version.ts';

const globalFlags: FlagSpec[] = [
  { name: 'host', short: 'H', kind: 'list', description: 'Address of the Berth daemon (unix:///path or tcp://host:port)' },
  { name: 'config', kind: 'string', description: 'Directory holding the client configuration' },
  { name: 'context', short: 'c', kind: 'string', description: 'Context to talk to (Berth knows only "default")' },
  { name: 'debug', short: 'D', kind: 'bool', description: 'Turn on debug output' },
  { name: 'log-level', short: 'l', kind: 'string', default: 'info', description: 'How much to log (debug, info, warn, error or fatal)' },
  { name: 'tls', kind: 'bool', description: 'Talk to the daemon over TLS (--tlsverify turns it on too)' },
  { name: 'tlsverify', kind: 'bool', description: "Talk over TLS and check the daemon's certificate" },
  { name: 'tlscacert', kind: 'string', description: 'CA certificate the daemon certificate must chain to' },
  { name: 'tlscert', kind: 'string', description: 'Client certificate file for TLS' },
  { name: 'tlskey', kind: 'string', description: 'Private key file for the client certificate' },
  { name: 'version', short: 'v', kind: 'bool', description: 'Show the client version and exit' },
];

const globalSpec: CommandSpec = {
  usage: '[OPTIONS] COMMAND',
  description: 'Run and manage Linux containers with the Berth engine',
  flags: globalFlags,
  interspersed: false,
};

/** One line about each command group, for `berth --help` and `berth GROUP`. */
const groupSummaries: Record<string, string> = {
  container: 'Create, run, watch and remove containers',
  image: 'Build, fetch, share and tidy images',
  network: 'Set up the networks containers talk over',
  system: 'Daemon status, disk use, events and registry logins',
  volume: 'Keep data that outlives containers',
};

/** Commands whose failures exit 125 (docker's run/create), not 1. */
const exit125 = new Set(['container run', 'container create']);

/**
 * Runs the CLI: parses global flags, resolves the command, loads only its module, runs it and
 * turns every error into one line on stderr and docker's exit status.
 */
export async function runCli(argv: readonly string[], io: CliIO, program = 'berth'): Promise<number> {
  let engine: Engine | undefined;
  let command = '';
  let invokedAs = '';
  try {
    const g = parseFlags(globalSpec, argv);
    if (g.flags.bool('version')) {
      io.stdout.write(`Berth version ${berthVersion}, build ${berthGitCommit}\n`);
      return 0;
    }
    const resolved = resolveCommand(g.args);
    if (!resolved) {
      if (g.args.length === 0 || g.help) {
        io.stdout.write(mainHelp(program));
        return 0;
      }
      io.stderr.write(`${program}: '${g.args[0]}' is not a ${program} command.\nSee '${program} --help'\n`);
      return 1;
    }
    if ('group' in resolved) {
      io.stdout.write(groupHelp(program, resolved.group));
      return 0;
    }
    command = resolved.path;
    invokedAs = resolved.invokedAs;
    const entry = commandTable[command];
    if (!entry) throw new BerthError('internal', `command "${command}" has no module`);
    const mod = (await entry.load()).command;
    const parsed = parseFlags(mod.spec, resolved.rest);
    if (parsed.help) {
      io.stdout.write(helpText(program, { ...mod.spec, usage: `${invokedAs} ${mod.spec.usage}` }));
      return 0;
    }
    checkArgs(mod.spec, parsed.args, `${program} ${invokedAs}`);

    const hosts = g.flags.list('host');
    const host = resolveDaemonHost(hosts[hosts.length - 1], io.env);
    const tls = await tlsOptions(g.flags, io.env);
    const configDir = g.flags.string('config') ?? io.env.DOCKER_CONFIG ?? join(io.env.HOME ?? homedir(), '.docker');
    const apiVersion = io.env.BERTH_API_VERSION ?? io.env.DOCKER_API_VERSION;
    const ctx: CliContext = {
      ...io,
      program,
      command,
      invokedAs,
      configDir,
      engine: () => {
        engine ??= new Engine({
          host,
          ...(tls ? { tls } : {}),
          ...(apiVersion ? { apiVersion } : {}),
          userAgent: `Berth-Client/${berthVersion}`,
        });
        return engine;
      },
      out: (t) => io.stdout.write(t),
      err: (t) => io.stderr.write(t),
    };
    return await mod.run(ctx, parsed.args, parsed.flags);
  } catch (err) {
    return reportError(err, io, program, command, invokedAs);
  } finally {
    engine?.close();
  }
}

function reportError(err: unknown, io: CliIO, program: string, command: string, invokedAs: string): number {
  // A closed pipe (`berth export c | head`) ends the command quietly, as SIGPIPE would.
  if ((err as NodeJS.ErrnoException | null)?.code === 'EPIPE') return 141;
  const is125 = exit125.has(command);
  const prefix = is125 ? `${program}: ` : '';
  if (isUsageError(err)) {
    const where = invokedAs ? `${program} ${invokedAs}` : program;
    io.stderr.write(`${prefix}${err.message}\nSee '${where} --help'.\n`);
    return 125;
  }
  if (err instanceof StatusError) {
    if (err.message) io.stderr.write(`${err.message}\n`);
    return err.status;
  }
  if (err instanceof DaemonUnreachableError) {
    io.stderr.write(`${prefix}${err.message}\n`);
    return is125 ? 125 : 1;
  }
  if (isDaemonError(err)) {
    io.stderr.write(`${prefix}Error response from daemon: ${err.message}\n`);
    return is125 ? 125 : 1;
  }
  io.stderr.write(`${prefix}${is125 ? '' : 'Error: '}${messageOf(err)}\n`);
  if (io.env.BERTH_DEBUG && err instanceof Error && err.stack) io.stderr.write(err.stack + '\n');
  return is125 ? 125 : 1;
}

async function tlsOptions(flags: import('./parse/flags.ts').ParsedFlags, env: Record<string, string | undefined>): Promise<TlsOptions | undefined> {
  const verify = flags.bool('tlsverify') || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
  const use = verify || flags.bool('tls') || flags.changed('tlscacert') || flags.changed('tlscert') || flags.changed('tlskey');
  if (!use) return undefined;
  await loadTls();
  const { readFileSync, existsSync } = await import('node:fs');
  const certDir = env.DOCKER_CERT_PATH ?? join(env.HOME ?? homedir(), '.docker');
  const pick = (flag: string, file: string) => {
    const p = flags.string(flag) ?? join(certDir, file);
    return existsSync(p) ? readFileSync(p) : undefined;
  };
  const ca = pick('tlscacert', 'ca.pem');
  const cert = pick('tlscert', 'cert.pem');
  const key = pick('tlskey', 'key.pem');
  return { verify, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

function mainHelp(program: string): string {
  const common = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'version', 'info'];
  const lines = [`\nUsage:  ${program} [OPTIONS] COMMAND\n`, `${globalSpec.description}\n`, 'Everyday commands:'];
  for (const c of common) {
    const path = shortcuts[c];
    const summary = path ? commandTable[path]?.summary : undefined;
    if (summary) lines.push(`  ${c.padEnd(11)} ${summary}`);
  }
  lines.push('', 'Command groups:');
  for (const [g, about] of Object.entries(groupSummaries)) lines.push(`  ${g.padEnd(11)} ${about}`);
  lines.push('', 'Other commands:');
  for (const c of Object.keys(shortcuts).sort()) {
    if (common.includes(c)) continue;
    const summary = commandTable[shortcuts[c] as string]?.summary;
    if (summary) lines.push(`  ${c.padEnd(11)} ${summary}`);
  }
  lines.push('', 'Options for every command:');
  for (const f of globalFlags) lines.push(`  ${f.short ? `-${f.short}, ` : '    '}--${f.name.padEnd(12)} ${f.description}`);
  lines.push('', `Add --help to any command ('${program} COMMAND --help') to see its usage and options.\n`);
  return lines.join('\n');
}

function groupHelp(program: string, group: string): string {
  const lines = [`\nUsage:  ${program} ${group} COMMAND\n`, `${groupSummaries[group] ?? group}\n`, 'Commands:'];
  for (const [k, v] of Object.entries(commandTable)) {
    if (k.startsWith(group + ' ')) lines.push(`  ${k.slice(group.length + 1).padEnd(10)} ${v.summary}`);
  }
  lines.push('', `Add --help to any of them ('${program} ${group} COMMAND --help') to see its usage and options.\n`);
  return lines.join('\n');
}
