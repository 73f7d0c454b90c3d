export * from './dockerfile/index.ts';
export * from './context.ts';
export * from './image-config.ts';
export * from './step.ts';
export * from './executor.ts';
export * from './cache.ts';
