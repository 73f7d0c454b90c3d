// berthd: the Berth daemon (composition root). Flags as dockerd's; JSON log lines on stderr.
import { createLogger, messageOf, projectRoot } from '../lib/index.ts';
import { Daemon, installCrashGuards, resolveDaemonConfig } from '../daemon/index.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const usage = `Usage: berthd [OPTIONS]

A container engine compatible with the Docker Engine API.

Options:
  -H, --host list          Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
      --data-root string   Root directory of persistent state (default "/var/lib/berth")
      --exec-root string   Root directory for execution state files (default "/run/berth")
  -p, --pidfile string     Path to use for daemon PID file (default "<exec-root>/berthd.pid")
  -l, --log-level string   Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -D, --debug              Enable debug mode
  -G, --group string       Group for the unix socket (default root)
      --config-file string Daemon configuration file (default "/etc/berth/daemon.json")
      --tlsverify          Use TLS and verify the remote (required for tcp:// hosts)
      --tlscacert string   Trust certs signed only by this CA
      --tlscert string     Path to TLS certificate file
      --tlskey string      Path to TLS key file
  -s, --storage-driver     Storage driver to use (overlay2)
      --label list         Set key=value labels to the daemon
  -v, --version            Print version information and quit
`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

async function main(): Promise<number> {
  const loadedMs = Math.round(performance.now());
  let resolved;
  try {
    resolved = resolveDaemonConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`berthd: ${messageOf(err)}\n`);
    return 125;
  }
  if (resolved.help) {
    process.stdout.write(usage);
    return 0;
  }
  const v = version();
  if (resolved.version) {
    process.stdout.write(`Berth version ${v}\n`);
    return 0;
  }
  const { config } = resolved;
  const log = createLogger({ level: config.logLevel, format: 'json' });
  installCrashGuards(process, log, [process.stdout, process.stderr]);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ config, log, version: v });
  } catch (err) {
    log.error('start failed', { error: messageOf(err) });
    return 1;
  }
  log.info('api ready', { ms: Math.round(performance.now()), modulesLoadedMs: loadedMs, pid: process.pid, hosts: config.hosts, dataRoot: config.dataRoot });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      log.info('signal received', { signal: sig });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await daemon.stop();
  log.info('stopped');
  return 0;
}

process.exitCode = await main();
