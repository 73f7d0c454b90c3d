import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, splitFlags } from './parser.ts';
import { parseStages, findStage } from './stages.ts';
import { expandString, expandWords } from './shell-words.ts';
import { parseDuration } from './instructions.ts';

test('parseDockerfile reads directives, continuations and comments with line numbers', () => {
  const df = parseDockerfile(
    '# syntax=docker/dockerfile:1\n# escape=\\\n\n# a comment\nFROM busybox\nRUN echo a \\\n  # inside\n  && echo b\nrun ["echo", "x"]\n',
  );
  assert.equal(df.directives.syntax, 'docker/dockerfile:1');
  assert.equal(df.instructions.length, 3);
  assert.equal(df.instructions[1]!.keyword, 'RUN');
  assert.equal(df.instructions[1]!.line, 6);
  assert.equal(df.instructions[1]!.args, 'echo a   && echo b');
  assert.deepEqual(df.instructions[2]!.json, ['echo', 'x']);
});

test('parseDockerfile honours the backtick escape directive', () => {
  const df = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n  b\n');
  assert.equal(df.directives.escape, '`');
  assert.equal(df.instructions[1]!.args, 'echo a   b');
});

test('parseDockerfile collects heredocs, quoted and chomped', () => {
  const df = parseDockerfile('FROM busybox\nRUN <<EOF\necho $HOME\nEOF\nCOPY <<-"A" <<B /dst/\n\tone\n\tA\ntwo\nB\nCMD ["sh"]\n');
  const run = df.instructions[1]!;
  assert.deepEqual(run.heredocs, [{ name: 'EOF', content: 'echo $HOME\n', expand: true, chomp: false }]);
  const copy = df.instructions[2]!;
  assert.equal(copy.heredocs.length, 2);
  assert.deepEqual(copy.heredocs[0], { name: 'A', content: 'one\n', expand: false, chomp: true });
  assert.equal(copy.heredocs[1]!.content, 'two\n');
  assert.equal(df.instructions[3]!.keyword, 'CMD');
});

test('parseDockerfile rejects unknown instructions and bad directives with the line', () => {
  assert.throws(() => parseDockerfile('FROM busybox\n\nFOO bar\n'), /dockerfile parse error on line 3: unknown instruction: FOO/);
  assert.throws(() => parseDockerfile('# escape=x\nFROM a\n'), /line 1: invalid escape token/);
  assert.throws(() => parseDockerfile('FROM a\nRUN <<EOF\necho\n'), /line 2: unterminated heredoc "EOF"/);
});

test('splitFlags takes leading flags only', () => {
  const { flags, remainder } = splitFlags('--from=build --chown="1:2" --link a b --notflag');
  assert.deepEqual(flags, [
    { name: 'from', value: 'build' },
    { name: 'chown', value: '1:2' },
    { name: 'link', value: undefined },
  ]);
  assert.equal(remainder, 'a b --notflag');
});

test('parseStages types every instruction and splits stages', () => {
  const df = parseStages(
    [
      'ARG BASE=busybox',
      'FROM ${BASE} AS Build',
      'ENV A=1 B="two words"',
      'ENV LEGACY some value',
      'LABEL x=y',
      'COPY --chmod=755 --from=0 a b /dst/',
      'HEALTHCHECK --interval=5s --retries=3 CMD ["true"]',
      'FROM scratch',
      'COPY --from=build /x /y',
      'EXPOSE 80/tcp 53/udp',
      'ONBUILD RUN echo hi',
      'STOPSIGNAL SIGTERM',
    ].join('\n'),
  );
  assert.equal(df.metaArgs[0]!.args[0]!.name, 'BASE');
  assert.equal(df.stages.length, 2);
  assert.equal(df.stages[0]!.name, 'build');
  const env = df.stages[0]!.instructions[0]!;
  assert.equal(env.kind, 'ENV');
  if (env.kind === 'ENV') assert.deepEqual(env.pairs, [{ key: 'A', value: '1' }, { key: 'B', value: '"two words"' }]);
  const legacy = df.stages[0]!.instructions[1]!;
  if (legacy.kind === 'ENV') assert.deepEqual(legacy.pairs, [{ key: 'LEGACY', value: 'some value' }]);
  const copy = df.stages[0]!.instructions[3]!;
  assert.equal(copy.kind, 'COPY');
  if (copy.kind === 'COPY') {
    assert.deepEqual(copy.sources, ['a', 'b']);
    assert.equal(copy.dest, '/dst/');
    assert.equal(copy.chmod, '755');
    assert.equal(copy.from, '0');
  }
  const hc = df.stages[0]!.instructions[4]!;
  if (hc.kind === 'HEALTHCHECK') {
    assert.equal(hc.interval, 5e9);
    assert.equal(hc.retries, 3);
    assert.deepEqual(hc.command, { kind: 'exec', args: ['true'] });
  }
  assert.equal(findStage(df, 'BUILD')?.index, 0);
  assert.equal(findStage(df, '1')?.index, 1);
});

test('parseStages rejects misplaced and malformed instructions with line numbers', () => {
  const cases: [string, RegExp][] = [
    ['RUN echo\nFROM a', /line 1: RUN before the first FROM/],
    ['FROM a\nCOPY onlyone', /line 2: COPY requires at least two arguments/],
    ['FROM a\nCOPY --bogus=1 a b', /line 2: unknown flag: --bogus for COPY/],
    ['FROM a AS x\nFROM b AS x', /line 2: duplicate stage name "x"/],
    ['FROM a b', /line 1: FROM requires either one or three arguments/],
    ['FROM a\nSHELL sh -c', /line 2: SHELL requires the arguments to be in JSON form/],
    ['FROM a\nHEALTHCHECK --interval=5x CMD true', /line 2: HEALTHCHECK --interval: invalid duration "5x"/],
    ['FROM a\nONBUILD ONBUILD RUN x', /line 2: chaining ONBUILD/],
    ['FROM a\nLABEL =x', /line 2: LABEL names can not be blank/],
    ['# just a comment\n', /no FROM instruction/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseStages(text), re, text);
});

test('expandString implements the shell modifiers', () => {
  const env = new Map([
    ['A', 'hello'],
    ['E', ''],
    ['P', 'dir/sub/file.tar.gz'],
  ]);
  const cases: [string, string][] = [
    ['$A', 'hello'],
    ['${A}-x', 'hello-x'],
    ['${U:-def}', 'def'],
    ['${E:-def}', 'def'],
    ['${E-def}', ''],
    ['${A:+set}', 'set'],
    ['${U:+set}', ''],
    ['${E+set}', 'set'],
    ['${P#*/}', 'sub/file.tar.gz'],
    ['${P##*/}', 'file.tar.gz'],
    ['${P%.*}', 'dir/sub/file.tar'],
    ['${P%%.*}', 'dir/sub/file'],
    ["'$A'", '$A'],
    ['"$A world"', 'hello world'],
    ['\\$A', '$A'],
    ['${U:-${A}}', 'hello'],
    ['$', '$'],
  ];
  for (const [input, want] of cases) assert.equal(expandString(input, env), want, input);
  assert.throws(() => expandString('${U:?must be set}', env), /U: must be set/);
  assert.throws(() => expandString('${A', env), /bad substitution/);
});

test('expandWords splits on unquoted whitespace after expansion of quoted parts', () => {
  const env = new Map([['X', 'a b']]);
  assert.deepEqual(expandWords('one "two $X" three', env), ['one', 'two a b', 'three']);
  const used: string[] = [];
  expandWords('$X ${Y:-z}', env, { onLookup: (n) => used.push(n) });
  assert.deepEqual(used, ['X', 'Y']);
});

test('parseDuration reads Go durations', () => {
  assert.equal(parseDuration('1m30s', 1, 'x'), 90e9);
  assert.equal(parseDuration('500ms', 1, 'x'), 5e8);
  assert.throws(() => parseDuration('10', 1, 'x'), /invalid duration/);
});

test('COPY heredoc markers are not sources', () => {
  const df = parseStages('FROM a\nCOPY <<EOF <<"TWO" /dst/\none\nEOF\ntwo\nTWO\n');
  const copy = df.stages[0]!.instructions[0]!;
  assert.equal(copy.kind, 'COPY');
  if (copy.kind === 'COPY') {
    assert.deepEqual(copy.sources, []);
    assert.equal(copy.dest, '/dst/');
    assert.equal(copy.heredocs.length, 2);
  }
});
