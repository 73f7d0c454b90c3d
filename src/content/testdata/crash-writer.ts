// Test helper process: ingests the first `stopAt` bytes of `source` into the content store at
// `root` under `ref`, prints "ready <offset>", then waits to be killed (SIGKILL) mid-ingest.
import { readFile } from 'node:fs/promises';
import { LocalContentStore } from '../local-store.ts';
import { sha256 } from '../../lib/index.ts';

const [root, ref, source, stopAtArg] = process.argv.slice(2);
if (!root || !ref || !source || !stopAtArg) {
  process.stderr.write('usage: crash-writer <root> <ref> <source> <stopAt>\n');
  process.exit(2);
}
const data = await readFile(source);
const stopAt = Number(stopAtArg);
const store = new LocalContentStore(root);
const w = await store.writer(ref, { expected: { digest: sha256(data), size: data.length } });
for (let off = w.offset; off < stopAt; off += 8192) {
  await w.write(data.subarray(off, Math.min(off + 8192, stopAt)));
}
process.stdout.write(`ready ${w.offset}\n`);
setInterval(() => undefined, 60_000);
