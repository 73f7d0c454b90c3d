export * from './dockerfile/index.ts';
export * from './dockerignore.ts';
export * from './context.ts';
