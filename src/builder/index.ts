export * from './dockerfile/index.ts';
export * from './dockerignore.ts';
