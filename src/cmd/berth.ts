// The berth CLI: docker's command language over the Engine API.
import { berthGitCommit, berthVersion, runCli } from '../cli/index.ts';

const argv = process.argv.slice(2);
let code: number;
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  // The fastest path: the command machinery is never loaded.
  process.stdout.write(`Berth version ${berthVersion}, build ${berthGitCommit}\n`);
  code = 0;
} else {
  code = await runCli(argv, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
}
// Exit once what was written to pipes has been flushed (an empty write calls back after them).
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
