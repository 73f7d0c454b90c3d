import type { CliIO } from './context.ts';

export { berthVersion, berthGitCommit } from './version.ts';
export type { CliIO, CliContext, Command } from './context.ts';

/**
 * Runs the berth CLI. The command machinery is imported on first call, so importing this index
 * (for the version, say) stays cheap.
 */
export async function runCli(argv: readonly string[], io: CliIO, program = 'berth'): Promise<number> {
  const main = await import('./main.ts');
  return main.runCli(argv, io, program);
}
