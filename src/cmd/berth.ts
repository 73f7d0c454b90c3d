// The berth CLI: docker's command language over the Engine API.
const argv = process.argv.slice(2);
let code: number;
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  // The fastest path: nothing else is loaded.
  const { berthVersion, berthGitCommit } = await import('../cli/version.ts');
  process.stdout.write(`Berth version ${berthVersion}, build ${berthGitCommit}\n`);
  code = 0;
} else {
  const { runCli } = await import('../cli/index.ts');
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
