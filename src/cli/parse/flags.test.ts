import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkArgs, helpText, parseFlags, UsageError, type CommandSpec } from './flags.ts';

const spec: CommandSpec = {
  usage: '[OPTIONS] IMAGE [COMMAND]',
  description: 'Run',
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', description: '' },
    { name: 'interactive', short: 'i', kind: 'bool', description: '' },
    { name: 'tty', short: 't', kind: 'bool', description: '' },
    { name: 'env', short: 'e', kind: 'list', description: '' },
    { name: 'publish', short: 'p', kind: 'list', description: '' },
    { name: 'name', kind: 'string', description: '' },
    { name: 'network', kind: 'string', aliases: ['net'], description: '' },
    { name: 'sig-proxy', kind: 'bool', default: true, description: '' },
    { name: 'stop-timeout', kind: 'int', description: '' },
  ],
};

test('parseFlags handles bundles, attached values, = forms and lists', () => {
  const { flags, args } = parseFlags(spec, ['-dit', '-eA=1', '-e=B=2', '--env', 'C', '-p8080:80', '--name=web', '--net', 'host', 'busybox', 'sh', '-c', 'echo -d']);
  assert.equal(flags.bool('detach'), true);
  assert.equal(flags.bool('interactive'), true);
  assert.equal(flags.bool('tty'), true);
  assert.deepEqual(flags.list('env'), ['A=1', 'B=2', 'C']);
  assert.deepEqual(flags.list('publish'), ['8080:80']);
  assert.equal(flags.string('name'), 'web');
  assert.equal(flags.string('network'), 'host');
  assert.deepEqual(args, ['busybox', 'sh', '-c', 'echo -d']);
});

test('parseFlags bool values, defaults and ints', () => {
  const { flags } = parseFlags(spec, ['--sig-proxy=false', '--stop-timeout', '5', 'img']);
  assert.equal(flags.bool('sig-proxy'), false);
  assert.equal(flags.int('stop-timeout'), 5);
  assert.equal(parseFlags(spec, ['img']).flags.bool('sig-proxy'), true);
  assert.equal(parseFlags(spec, ['img']).flags.changed('sig-proxy'), false);
});

test('parseFlags stops at -- and reports --help', () => {
  const r = parseFlags({ ...spec, interspersed: true }, ['a', '--', '-d', 'b']);
  assert.deepEqual(r.args, ['a', '-d', 'b']);
  assert.equal(r.flags.bool('detach'), false);
  assert.equal(parseFlags(spec, ['--help']).help, true);
  assert.equal(parseFlags(spec, ['-h']).help, true);
});

test('parseFlags rejects unknown flags and missing values as docker does', () => {
  assert.throws(() => parseFlags(spec, ['--nope']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag: --nope');
  assert.throws(() => parseFlags(spec, ['-x']), /unknown shorthand flag: 'x' in -x/);
  assert.throws(() => parseFlags(spec, ['--name']), /flag needs an argument: --name/);
  assert.throws(() => parseFlags(spec, ['--stop-timeout', 'x']), /invalid argument "x"/);
  assert.throws(() => parseFlags(spec, ['--sig-proxy=maybe']), /invalid argument "maybe"/);
});

test('checkArgs uses docker wording and helpText lists flags', () => {
  assert.throws(() => checkArgs({ ...spec, minArgs: 1 }, [], 'berth run'), /"berth run" requires at least 1 argument\./);
  assert.throws(() => checkArgs({ ...spec, minArgs: 1, maxArgs: 1 }, [], 'berth logs'), /requires exactly 1 argument/);
  assert.throws(() => checkArgs({ ...spec, maxArgs: 0 }, ['x'], 'berth ps'), /accepts no arguments/);
  const help = helpText('berth', spec);
  assert.match(help, /Usage:  berth \[OPTIONS\] IMAGE/);
  assert.match(help, /-d, --detach/);
  assert.match(help, /--name string/);
});
