export type {
  BlobRef,
  CommitOptions,
  ContentStore,
  Info,
  IngestManager,
  Ingester,
  Labels,
  Manager,
  Provider,
  ReadStreamOptions,
  ReaderAt,
  Status,
  Writer,
  WriterOptions,
} from './types.ts';
export { LocalContentStore, contentRoot } from './local-store.ts';
export type { LocalContentStoreOptions } from './local-store.ts';
export { MemoryLabelStore, SqliteLabelStore, maxLabelSize, validateLabels } from './label-store.ts';
export type { LabelStore, MigrateFn } from './label-store.ts';
export { openWriter, writeBlob, writeStream } from './write-blob.ts';
export type { BlobSource, WritableStore, WriteStreamOptions } from './write-blob.ts';
export { ContentLabels, gcRefContentLabel, gcRefSnapshotLabel } from './labels.ts';
