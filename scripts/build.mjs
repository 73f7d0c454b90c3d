// Builds everything: the C helpers in native/ (make) and the TypeScript entry points in src/cmd/
// bundled by esbuild into dist/ (code-split, so commands load what they use lazily).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, chmodSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerEntries } from './worker-entries.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'bin'), { recursive: true });

// Each native/<part>/ with a Makefile builds its own artifacts into bin/ (or next to itself).
if (existsSync(join(root, 'native'))) {
  for (const part of readdirSync(join(root, 'native')).sort()) {
    if (existsSync(join(root, 'native', part, 'Makefile'))) {
      execFileSync('make', ['-C', join(root, 'native', part), '--no-print-directory'], { stdio: 'inherit' });
    }
  }
}

const entries = readdirSync(join(root, 'src', 'cmd'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => join(root, 'src', 'cmd', f));

const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
};
// The CLI is bundled on its own so its start-up loads only what the CLI shares with nothing
// else (no daemon-side chunks); each command is a lazily loaded chunk of it.
const cli = entries.filter((e) => e.endsWith('/berth.ts'));
const others = entries.filter((e) => !cli.includes(e));
if (cli.length) await build({ ...common, entryPoints: cli, outdir: join(root, 'dist', 'cli') });
// Worker threads are entry points of the daemon-side bundle too (no bin/ wrapper).
const workers = Object.fromEntries(Object.entries(workerEntries).map(([name, src]) => [name, join(root, src)]));
const named = Object.fromEntries(others.map((e) => [e.split('/').pop().replace(/\.ts$/, ''), e]));
if (others.length) await build({ ...common, entryPoints: { ...named, ...workers }, outdir: join(root, 'dist') });

for (const entry of entries) {
  const name = entry.split('/').pop().replace(/\.ts$/, '');
  const bin = join(root, 'bin', name);
  const target = cli.includes(entry) ? `cli/${name}` : name;
  writeFileSync(bin, `#!/usr/bin/env node\nimport '../dist/${target}.js';\n`);
  chmodSync(bin, 0o755);
}
