import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryClient } from '../../src/registry/client/index.ts';
import { berth, ok } from '../cli/harness.ts';
import { startDaemon } from '../helpers/daemon.ts';
import { TestProxy } from './proxy.ts';
import { makeImage, openContentStore, startRegistry } from './helpers.ts';

test('berth-registry GET /v1/search: name match, zero stars, paged by n and page', async (t) => {
  const reg = await startRegistry();
  const src = openContentStore();
  const client = new RegistryClient({ content: src.store, dockerConfig: null });
  t.after(async () => {
    await client.close();
    await reg.stop();
    src.remove();
  });
  const img = await makeImage(src.store, [100]);
  for (const name of ['search/alpha', 'search/beta', 'other/gamma']) await client.push(`${reg.host}/${name}:v1`, { manifest: { digest: img.manifestDigest } });

  const all = (await (await fetch(`${reg.url}/v1/search?q=SEARCH`)).json()) as Record<string, unknown>;
  assert.deepEqual(all, {
    num_pages: 1,
    num_results: 2,
    page: 1,
    page_size: 25,
    query: 'SEARCH',
    results: [
      { name: 'search/alpha', description: '', star_count: 0, is_official: false, is_automated: false },
      { name: 'search/beta', description: '', star_count: 0, is_official: false, is_automated: false },
    ],
  });
  const second = (await (await fetch(`${reg.url}/v1/search?q=a&n=2&page=2`)).json()) as { num_pages: number; results: Array<{ name: string }> };
  assert.equal(second.num_pages, 2);
  assert.deepEqual(second.results.map((r) => r.name), ['search/beta']);
  const none = (await (await fetch(`${reg.url}/v1/search?q=nothing-like-it`)).json()) as { num_results: number; results: unknown[] };
  assert.deepEqual([none.num_results, none.results], [0, []]);
  assert.equal((await fetch(`${reg.url}/v1/search?q=a&n=zero`)).status, 405);
});

test('/images/search and berth search: results from the registry named in the term, limit and filters, a clear error without search', async (t) => {
  const reg = await startRegistry();
  // the same registry behind a proxy that has no search API
  const bare = new TestProxy(reg.url);
  bare.intercept = (req, res) => {
    if (!req.url?.startsWith('/v1/')) return false;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
    req.resume();
    return true;
  };
  const bareHost = await bare.listen();
  const src = openContentStore();
  const client = new RegistryClient({ content: src.store, dockerConfig: null });
  const d = await startDaemon(t);
  t.after(async () => {
    await client.close();
    await bare.kill();
    await reg.stop();
    src.remove();
  });
  const img = await makeImage(src.store, [100]);
  for (const name of ['find/alpha', 'find/beta', 'other/gamma']) await client.push(`${reg.host}/${name}:v1`, { manifest: { digest: img.manifestDigest } });

  const q = (query: string) => d.request(`/v1.45/images/search?${query}`);
  const r = await q(`term=${encodeURIComponent(`${reg.host}/find`)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), [
    { name: `${reg.host}/find/alpha`, description: '', star_count: 0, is_official: false, is_automated: false },
    { name: `${reg.host}/find/beta`, description: '', star_count: 0, is_official: false, is_automated: false },
  ]);
  const limited = await q(`term=${encodeURIComponent(`${reg.host}/find`)}&limit=1`);
  assert.deepEqual((limited.json() as Array<{ name: string }>).map((x) => x.name), [`${reg.host}/find/alpha`]);
  const stars = await q(`term=${encodeURIComponent(`${reg.host}/find`)}&filters=${encodeURIComponent(JSON.stringify({ stars: { '1': true } }))}`);
  assert.deepEqual(stars.json(), []);
  const unofficial = await q(`term=${encodeURIComponent(`${reg.host}/find`)}&filters=${encodeURIComponent(JSON.stringify({ 'is-official': { false: true } }))}`);
  assert.equal((unofficial.json() as unknown[]).length, 2);
  const badFilter = await q(`term=${encodeURIComponent(`${reg.host}/find`)}&filters=${encodeURIComponent(JSON.stringify({ 'is-official': { maybe: true } }))}`);
  assert.equal(badFilter.status, 400);
  assert.match((badFilter.json() as { message: string }).message, /invalid filter 'is-official=maybe'/);
  const unknownFilter = await q(`term=${encodeURIComponent(`${reg.host}/find`)}&filters=${encodeURIComponent(JSON.stringify({ colour: { red: true } }))}`);
  assert.equal(unknownFilter.status, 400);
  const noSearch = await q(`term=${encodeURIComponent(`${bareHost}/find`)}`);
  assert.equal(noSearch.status, 501);
  assert.match((noSearch.json() as { message: string }).message, new RegExp(`registry "${bareHost.replace(/\./g, '\\.')}" does not support search`));

  // the CLI: docker's table, --limit, --filter, --format
  const table = await ok(d.host, ['search', `${reg.host}/find`]);
  const lines = table.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/);
  assert.match(lines[1]!, new RegExp(`^${reg.host.replace(/\./g, '\\.')}/find/alpha\\s+0\\s*$`));
  assert.equal(lines.length, 3);
  assert.equal(await ok(d.host, ['search', '--limit', '1', '--format', '{{.Name}} {{.StarCount}} {{.IsOfficial}}', `${reg.host}/find`]), `${reg.host}/find/alpha 0 \n`);
  assert.equal(await ok(d.host, ['search', '--filter', 'stars=3', '--format', '{{.Name}}', `${reg.host}/find`]), '');
  const failed = await berth(d.host, ['search', `${bareHost}/find`]);
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /does not support search/);
});
