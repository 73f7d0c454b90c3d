import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRows, formatValue, prepareFormat } from './formatter.ts';
import { alignColumns } from './tab-writer.ts';
import { bytesSize, ellipsis, humanDuration, humanSize, shortId, timeAgo } from './humanize.ts';
import { containerRow, containerHeaders, defaultPsFormat, displayPorts } from './container-rows.ts';
import { imageRows, imageHeaders, defaultImageFormat } from './image-rows.ts';
import { progressBar, ProgressRenderer } from './json-progress.ts';
import { cpuPercent, memUsage } from './stats-rows.ts';
import { Writable } from 'node:stream';
import type { ContainerSummary, CpuStatsWire } from '../../api/types/index.ts';

test('alignColumns pads like Go tabwriter (minwidth 10, padding 3)', () => {
  const out = alignColumns('CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox\tweb\n');
  assert.equal(out, 'CONTAINER ID   IMAGE     NAMES\nabc            busybox   web\n');
});

test('humanDuration follows go-units', () => {
  const cases: [number, string][] = [
    [500, 'Less than a second'],
    [1000, '1 second'],
    [45_000, '45 seconds'],
    [60_000, 'About a minute'],
    [119_000, 'About a minute'],
    [5 * 60_000, '5 minutes'],
    [3600_000, 'About an hour'],
    [5 * 3600_000, '5 hours'],
    [3 * 86400_000, '3 days'],
    [20 * 86400_000, '2 weeks'],
    [90 * 86400_000, '3 months'],
    [800 * 86400_000, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
  assert.equal(timeAgo(1000, 1000 * 1000 + 90_000), 'About a minute ago');
});

test('humanSize and bytesSize use docker units', () => {
  const cases: [number, string][] = [
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1234567, '1.23MB'],
    [4_300_000, '4.3MB'],
    [2.5e9, '2.5GB'],
  ];
  for (const [n, want] of cases) assert.equal(humanSize(n), want, String(n));
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(8 * 1024 ** 3), '8GiB');
  assert.equal(ellipsis('abcdefghijklmnopqrstuvwxyz', 20), 'abcdefghijklmnopqrs…');
  assert.equal(shortId('sha256:0123456789abcdef0123'), '0123456789ab');
});

test('prepareFormat handles table, json and escapes', () => {
  assert.deepEqual(prepareFormat('table {{.ID}}\\t{{.Names}}'), { table: true, source: '{{.ID}}\t{{.Names}}' });
  assert.deepEqual(prepareFormat('json'), { table: false, source: '{{json .}}' });
});

const summary: ContainerSummary = {
  Id: 'f00dcafe1234567890abcdef',
  Names: ['/web'],
  Image: 'busybox',
  ImageID: 'sha256:' + 'b'.repeat(64),
  Command: 'sh -c "while true; do sleep 1; done"',
  Created: 1_000_000,
  Ports: [
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { PrivatePort: 443, Type: 'tcp' },
  ],
  Labels: { app: 'x' },
  State: 'running',
  Status: 'Up 2 minutes',
  HostConfig: { NetworkMode: 'default' },
  NetworkSettings: { Networks: {} },
  Mounts: [],
};

test('containerRow and the default ps table look like docker ps', () => {
  const row = containerRow(summary, { trunc: true, now: 1_000_000_000 + 5 * 60_000 });
  assert.equal(row.ID, 'f00dcafe1234');
  assert.equal(row.Command, '"sh -c \\"while true; …"');
  assert.equal(row.RunningFor, '5 minutes ago');
  assert.equal(row.Ports, '0.0.0.0:8080->80/tcp, 443/tcp');
  assert.equal(row.Names, 'web');
  const out = formatRows(defaultPsFormat, [row], containerHeaders);
  const [header, line] = out.split('\n');
  assert.match(header as string, /^CONTAINER ID {3}IMAGE {5}COMMAND +CREATED +STATUS +PORTS +NAMES$/);
  assert.match(line as string, /^f00dcafe1234 {3}busybox {3}"sh -c .*web$/);
  assert.equal(formatRows('{{.Names}} {{.Label "app"}}', [row], containerHeaders), 'web x\n');
  assert.equal(formatRows('table {{.ID}}\t{{.Label "app"}}', [row], containerHeaders), 'CONTAINER ID   LABEL\nf00dcafe1234   x\n');
  const parsed = JSON.parse(formatRows('{{json .}}', [row], containerHeaders)) as Record<string, string>;
  assert.equal(parsed.Names, 'web');
  assert.deepEqual(Object.keys(parsed), [...Object.keys(parsed)].sort());
});

test('displayPorts groups consecutive unpublished ports', () => {
  assert.equal(
    displayPorts([
      { PrivatePort: 80, Type: 'tcp' },
      { PrivatePort: 81, Type: 'tcp' },
      { PrivatePort: 82, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
    ]),
    '53/udp, 80-82/tcp',
  );
  assert.equal(displayPorts([{ IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]), '[::]:8080->80/tcp');
});

test('imageRows makes one row per tag and <none> rows', () => {
  const rows = imageRows(
    [
      { Id: 'sha256:aaaaaaaaaaaaaaaaaaaa', ParentId: '', RepoTags: ['busybox:latest', 'localhost:5000/bb:1'], RepoDigests: ['busybox@sha256:dd'], Created: 0, Size: 4_261_550, SharedSize: -1, Labels: null, Containers: -1 },
      { Id: 'sha256:bbbbbbbbbbbbbbbbbbbb', ParentId: '', RepoTags: [], RepoDigests: [], Created: 0, Size: 10, SharedSize: -1, Labels: null, Containers: -1 },
    ],
    { trunc: true, now: 0 },
  );
  assert.deepEqual(rows.map((r) => [r.Repository, r.Tag, r.ID, r.Size, r.Digest]), [
    ['busybox', 'latest', 'aaaaaaaaaaaa', '4.26MB', 'sha256:dd'],
    ['localhost:5000/bb', '1', 'aaaaaaaaaaaa', '4.26MB', '<none>'],
    ['<none>', '<none>', 'bbbbbbbbbbbb', '10B', '<none>'],
  ]);
  const table = formatRows(defaultImageFormat(false), rows.slice(0, 1), imageHeaders);
  assert.match(table, /^REPOSITORY {3}TAG {7}IMAGE ID {7}CREATED +SIZE\nbusybox {6}latest {4}aaaaaaaaaaaa/);
});

test('formatValue renders inspect formats', () => {
  assert.equal(formatValue('{{.State.Running}} {{json .Config.Env}}', { State: { Running: true }, Config: { Env: ['A=1'] } }), 'true ["A=1"]');
});

test('progressBar and ProgressRenderer follow docker jsonmessage', () => {
  const bar = progressBar({ status: 'Downloading', progressDetail: { current: 500_000, total: 1_000_000 } }, 120);
  assert.equal(bar, `[${'='.repeat(25)}>${' '.repeat(25)}]    500kB/1MB`);
  let text = '';
  const out = new Writable({ write: (c, _e, cb) => ((text += c.toString()), cb()) });
  const plain = new ProgressRenderer(out, { terminal: false });
  plain.write({ id: 'abc', status: 'Pulling fs layer' });
  plain.write({ id: 'abc', status: 'Downloading', progressDetail: { current: 1, total: 2 } });
  plain.write({ id: 'abc', status: 'Pull complete' });
  plain.write({ status: 'Status: Downloaded newer image for busybox:latest' });
  assert.equal(text, 'abc: Pulling fs layer\nabc: Pull complete\nStatus: Downloaded newer image for busybox:latest\n');
  assert.throws(() => plain.write({ error: 'boom', errorDetail: { message: 'manifest unknown' } }), /manifest unknown/);
});

test('cpuPercent and memUsage compute like docker stats', () => {
  const cpu = (total: number, system: number, online?: number): CpuStatsWire => ({
    cpu_usage: { total_usage: total, usage_in_kernelmode: 0, usage_in_usermode: total },
    system_cpu_usage: system,
    ...(online === undefined ? {} : { online_cpus: online }),
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  const s = {
    cpu_stats: cpu(2_000, 20_000, 2),
    precpu_stats: cpu(1_000, 10_000),
    memory_stats: { usage: 1000, limit: 4000, stats: { total_inactive_file: 200 } },
  };
  assert.equal(cpuPercent(s), 20);
  assert.equal(memUsage(s), 800);
});

test('ProgressRenderer on a terminal keeps one line per layer and redraws it in place', () => {
  let text = '';
  const out = new Writable({ write: (c, _e, cb) => ((text += c.toString()), cb()) });
  const tty = new ProgressRenderer(out, { terminal: true, width: 120 });
  tty.write({ id: 'a', status: 'Pulling fs layer' });
  tty.write({ id: 'b', status: 'Pulling fs layer' });
  tty.write({ id: 'a', status: 'Downloading', progressDetail: { current: 1000, total: 2000 } });
  // New ids add a line; an update of the first of two lines moves up 2, redraws, moves back down.
  assert.equal(text.split('\n').length - 1, 2);
  assert.ok(text.endsWith(`\x1b[2A\r\x1b[2Ka: Downloading [${'='.repeat(25)}>${' '.repeat(25)}]      1kB/2kB\r\x1b[2B`), JSON.stringify(text));
  text = '';
  tty.write({ status: 'Digest: sha256:ab' });
  assert.equal(text, '\r\x1b[2KDigest: sha256:ab\n');
});
