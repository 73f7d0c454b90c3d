// The berth CLI: docker's command language over the Engine API.
import { runCli } from '../cli/index.ts';

const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// Exit once what was written to pipes has been flushed (an empty write calls back after them).
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
