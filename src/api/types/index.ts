export * from './system.ts';
export type * from './errors.ts';
export type * from './events.ts';
export type * from './volumes.ts';
export type * from './images.ts';
export type * from './containers.ts';
export type * from './networks.ts';
