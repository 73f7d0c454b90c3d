import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template, printValue, sprintf } from './template.ts';

const render = (src: string, data: unknown) => Template.parse(src).execute(data);

test('Template renders fields, nested fields and missing values', () => {
  const data = { ID: 'abc', State: { Status: 'running', Pid: 42 }, Config: { Cmd: ['sh', '-c', 'echo'] } };
  const cases: [string, string][] = [
    ['{{.ID}}', 'abc'],
    ['{{.State.Status}} {{.State.Pid}}', 'running 42'],
    ['{{.Config.Cmd}}', '[sh -c echo]'],
    ['{{.Nope}}', '<no value>'],
    ['{{.State}}', 'map[Pid:42 Status:running]'],
    ['x{{/* comment */}}y', 'xy'],
  ];
  for (const [src, want] of cases) assert.equal(render(src, data), want, src);
});

test('Template pipelines and docker functions', () => {
  const data = { Names: 'web', List: ['a', 'b'], Labels: { 'com.x': '1' }, Text: 'hello world' };
  const cases: [string, string][] = [
    ['{{.Names | upper}}', 'WEB'],
    ['{{upper .Names}}', 'WEB'],
    ['{{.Names | upper | lower}}', 'web'],
    ['{{json .List}}', '["a","b"]'],
    ['{{json .}}', JSON.stringify(data)],
    ['{{join .List ","}}', 'a,b'],
    ['{{split "a:b" ":"}}', '[a b]'],
    ['{{title .Text}}', 'Hello World'],
    ['{{truncate .Text 5}}', 'hello'],
    ['{{pad .Names 1 2}}', ' web  '],
    ['{{println .Names}}', 'web\n'],
    ['{{index .Labels "com.x"}}', '1'],
    ['{{len .List}}', '2'],
    ['{{printf "%s-%d" .Names 7}}', 'web-7'],
    ['{{(index .List 1) | upper}}', 'B'],
  ];
  for (const [src, want] of cases) assert.equal(render(src, data), want, src);
});

test('Template if/else if/else, with, and boolean functions', () => {
  const t = Template.parse('{{if eq .S "a"}}A{{else if eq .S "b"}}B{{else}}other{{end}}');
  assert.equal(t.execute({ S: 'a' }), 'A');
  assert.equal(t.execute({ S: 'b' }), 'B');
  assert.equal(t.execute({ S: 'c' }), 'other');
  assert.equal(render('{{if .Running}}up{{else}}down{{end}}', { Running: false }), 'down');
  assert.equal(render('{{if .L}}y{{else}}n{{end}}', { L: [] }), 'n');
  assert.equal(render('{{with .State}}{{.Status}}{{end}}', { State: { Status: 'ok' } }), 'ok');
  assert.equal(render('{{with .State}}x{{else}}none{{end}}', {}), 'none');
  assert.equal(render('{{if and .A (not .B)}}yes{{end}}', { A: 1, B: 0 }), 'yes');
  assert.equal(render('{{if or .A .B}}yes{{else}}no{{end}}', { A: 0, B: '' }), 'no');
  assert.equal(render('{{if gt .N 3}}big{{end}}', { N: 5 }), 'big');
});

test('Template range over lists and maps, with variables and $', () => {
  const data = { Mounts: [{ Source: '/a' }, { Source: '/b' }], Labels: { b: '2', a: '1' }, Name: 'c1' };
  assert.equal(render('{{range .Mounts}}{{.Source}} {{end}}', data), '/a /b ');
  assert.equal(render('{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', data), 'a=1;b=2;');
  assert.equal(render('{{range $i, $m := .Mounts}}{{$i}}:{{$m.Source}} {{end}}', data), '0:/a 1:/b ');
  assert.equal(render('{{range .Mounts}}{{$.Name}}{{.Source}} {{end}}', data), 'c1/a c1/b ');
  assert.equal(render('{{range .None}}x{{else}}empty{{end}}', data), 'empty');
  assert.equal(render('{{$x := .Name}}[{{$x}}]', data), '[c1]');
});

test('Template trims whitespace with {{- and -}}', () => {
  assert.equal(render('a  {{- .X -}}  b', { X: 1 }), 'a1b');
  assert.equal(render('{{range .L -}}\n  {{.}}\n{{- end}}', { L: [1, 2] }), '12');
});

test('Template calls methods with arguments', () => {
  const row = { Labels: 'a=1' };
  Object.defineProperty(row, 'Label', { value: (k: string) => (k === 'a' ? '1' : ''), enumerable: false });
  assert.equal(render('{{.Label "a"}}', row), '1');
});

test('Template rejects malformed templates with clear errors', () => {
  assert.throws(() => Template.parse('{{.A'), /unclosed action/);
  assert.throws(() => Template.parse('{{if .A}}x'), /missing \{\{end\}\}/);
  assert.throws(() => Template.parse('{{nosuch .A}}'), /function "nosuch" not defined/);
  assert.throws(() => Template.parse('{{end}}'), /unexpected \{\{end\}\}/);
});

test('printValue and sprintf print like Go', () => {
  assert.equal(printValue(null), '<nil>');
  assert.equal(printValue(true), 'true');
  assert.equal(printValue([1, 'a', null]), '[1 a <nil>]');
  assert.equal(sprintf('%-5s|%5s|%03d|%q|%%', 'ab', 'cd', 7, 'x'), 'ab   |   cd|007|"x"|%');
});
