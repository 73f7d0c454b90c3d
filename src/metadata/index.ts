export { openMetadataDb, metadataDbPath } from './open-db.ts';
export type { MetadataDb, OpenMetadataDbOptions } from './open-db.ts';
export { migrate, schemaVersion } from './migrate.ts';
export type { Migrate } from './migrate.ts';
export { withTransaction } from './transaction.ts';
