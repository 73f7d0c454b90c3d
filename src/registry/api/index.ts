export * from './errors.ts';
export * from './names.ts';
export * from './media-types.ts';
export * from './routes.ts';
