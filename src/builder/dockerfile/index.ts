export * from './parser.ts';
export * from './instructions.ts';
export * from './stages.ts';
export * from './shell-words.ts';
