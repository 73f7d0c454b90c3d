// Lint: every import between components in src/ follows the table in layers.mjs, and goes
// through the component's index.ts when it crosses a component boundary.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layers } from './layers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const components = Object.keys(layers).sort((a, b) => b.length - a.length);

function componentOf(file) {
  const rel = relative(src, file);
  return components.find((c) => rel === c || rel.startsWith(c + '/'));
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of walk(src)) {
  const from = componentOf(file);
  if (!from) {
    problems.push(`${relative(root, file)}: not inside a known component (add it to scripts/layers.mjs)`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    const to = componentOf(target);
    if (!to) {
      problems.push(`${relative(root, file)}: imports ${spec}, outside every component`);
      continue;
    }
    if (to === from) continue;
    const allowed = layers[from];
    if (!allowed.includes('*') && !allowed.includes(to)) {
      problems.push(`${relative(root, file)}: ${from} may not import ${to} (${spec})`);
    }
    const rel = relative(join(src, to), target);
    if (rel !== 'index.ts' && !file.endsWith('.test.ts')) {
      problems.push(`${relative(root, file)}: imports ${to} through ${spec}; use ${to}/index.ts`);
    }
  }
}
if (problems.length) {
  console.error(`layer check: ${problems.length} problem(s)\n` + problems.join('\n'));
  process.exit(1);
}
console.log('layer check: ok');
