import type { Logger } from '../lib/index.ts';

/**
 * Keeps the daemon alive when some background callback throws (an event listener, a timer, a
 * stream handler) or a promise is rejected with nobody listening: the error is logged with its
 * stack and the daemon carries on serving, because containers outlive a single failed task and a
 * daemon that exits takes the API away from all of them. Returns a function that removes the guards.
 */
export function installCrashGuards(proc: NodeJS.EventEmitter, log: Logger, outputs: readonly NodeJS.EventEmitter[] = []): () => void {
  // A log output whose reader went away (EPIPE) is dropped: its error is not an uncaught
  // exception, whose log line would fail the same way, and again, in a loop.
  const onOutputError = () => {};
  for (const o of outputs) o.on('error', onOutputError);
  const onException = (err: unknown) => {
    log.error('uncaught exception in a background task (daemon keeps running)', { error: describe(err) });
  };
  const onRejection = (reason: unknown) => {
    log.error('unhandled promise rejection (daemon keeps running)', { error: describe(reason) });
  };
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    for (const o of outputs) o.off('error', onOutputError);
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
