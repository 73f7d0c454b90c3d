export { runCli } from './main.ts';
export type { CliIO, CliContext, Command } from './context.ts';
