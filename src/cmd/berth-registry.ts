// berth-registry: an OCI distribution registry. `serve` runs it; `garbage-collect` sweeps
// unreferenced blobs offline (with the server stopped).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createLogger, isLevel, messageOf } from '../lib/index.ts';
import { FilesystemDriver, garbageCollect, Htpasswd, loadConfig, RegistryServer, RegistryStorage } from '../registry/server/index.ts';

const program = new Command('berth-registry').description('OCI distribution registry').showHelpAfterError();

program
  .command('serve')
  .description('serve the registry API')
  .argument('[config]', 'configuration file (JSON)')
  .option('--addr <host:port>', 'listen address (default 127.0.0.1:5000)')
  .option('--root <dir>', 'storage root directory')
  .option('--htpasswd <file>', 'require Basic auth against this htpasswd file (bcrypt)')
  .option('--tls-cert <file>', 'TLS certificate (PEM)')
  .option('--tls-key <file>', 'TLS private key (PEM)')
  .option('--read-only', 'refuse every write')
  .option('--log-level <level>', 'debug, info, warn or error')
  .action(async (configPath: string | undefined, opts: Record<string, string | boolean | undefined>) => {
    const config = loadConfig(configPath);
    if (typeof opts['addr'] === 'string') config.addr = opts['addr'];
    if (typeof opts['root'] === 'string') config.root = opts['root'];
    if (typeof opts['htpasswd'] === 'string') config.htpasswd = opts['htpasswd'];
    if (typeof opts['tlsCert'] === 'string' && typeof opts['tlsKey'] === 'string') config.tls = { cert: opts['tlsCert'], key: opts['tlsKey'] };
    if (opts['readOnly'] === true) config.readOnly = true;
    const level = typeof opts['logLevel'] === 'string' ? opts['logLevel'] : (config.logLevel ?? 'info');
    const logger = createLogger({ level: isLevel(level) ? level : 'info' });
    const server = new RegistryServer({
      storage: new RegistryStorage(new FilesystemDriver(config.root)),
      logger,
      readOnly: config.readOnly,
      deleteEnabled: config.deleteEnabled,
      ...(config.htpasswd ? { htpasswd: Htpasswd.fromFile(config.htpasswd) } : {}),
      ...(config.realm ? { realm: config.realm } : {}),
      ...(config.tls ? { tls: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } } : {}),
      ...(config.gc ? { onlineGc: { intervalMs: config.gc.intervalSeconds * 1000, gracePeriodMs: config.gc.gracePeriodSeconds * 1000 } } : {}),
    });
    const url = await server.listen(config.addr);
    process.stdout.write(`berth-registry listening on ${url}\n`);
    const stop = () => {
      void server.close().then(() => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program
  .command('garbage-collect')
  .description('delete blobs no manifest references (run with the server stopped)')
  .argument('[config]', 'configuration file (JSON)')
  .option('--root <dir>', 'storage root directory')
  .option('--dry-run', 'only report what would be deleted')
  .action(async (configPath: string | undefined, opts: { root?: string; dryRun?: boolean }) => {
    const config = loadConfig(configPath);
    if (opts.root) config.root = opts.root;
    const storage = new RegistryStorage(new FilesystemDriver(config.root));
    const r = await garbageCollect(storage, { dryRun: opts.dryRun ?? false, logger: createLogger({ level: 'warn', format: 'text' }) });
    for (const d of r.deletedBlobs) process.stdout.write(`${opts.dryRun ? 'would delete' : 'deleted'} blob ${d}\n`);
    process.stdout.write(`${r.markedBlobs} blobs marked, ${r.deletedBlobs.length} blobs ${opts.dryRun ? 'eligible for deletion' : 'deleted'} (${r.freedBytes} bytes), ${r.deletedUploads} uploads purged\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`berth-registry: ${messageOf(err)}\n`);
  process.exit(1);
});
