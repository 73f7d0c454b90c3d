export * from './errors.ts';
export * from './log.ts';
export * from './digest.ts';
export * from './atomic-fs.ts';
export * from './paths.ts';
export { DockerIgnore } from './dockerignore.ts';
export { randomHex } from './random.ts';
