import type { Readable, Writable } from 'node:stream';
import type {
  DiskUsageResponse,
  EventMessage,
  IdResponse,
  ImageDeleteItem,
  ImageHistoryItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
  InfoResponse,
  JsonMessage,
  VersionResponse,
  Volume,
  VolumeCreateRequest,
  VolumeListResponse,
  VolumePruneResponse,
} from '../types/index.ts';
import type { Filters } from './filters.ts';

/**
 * The ports the daemon implements, one role interface per resource (moby's router/*\/backend.go).
 * They speak the Engine API's wire types so routes stay thin; the daemon adapts its domain
 * services (src/images, src/volumes, src/containers) to them. api/server never imports daemon.
 * ContainerBackend and ExecBackend are declared beside their routes (routes/containers.ts,
 * routes/exec.ts).
 */

/** Where a long operation reports progress: one JSON message per call (ndjson on the wire). */
export interface ProgressSink {
  write(message: JsonMessage): void;
}

export interface SystemBackend {
  version(): VersionResponse;
  info(): Promise<InfoResponse>;
  /** `types` narrows to some of "container", "image", "volume", "build-cache" (API >= 1.42). */
  diskUsage(options: { types: string[]; signal: AbortSignal }): Promise<DiskUsageResponse>;
}

export interface EventsQuery {
  filters: Filters;
  /** Unix time in milliseconds: replay buffered events from then on. */
  since?: number;
  /** Unix time in milliseconds: stop there (immediately when it is past). */
  until?: number;
  signal: AbortSignal;
}

export interface EventsBackend {
  /** Past events (when `since` is set) then live ones, until `until` or the signal aborts. */
  subscribe(query: EventsQuery): AsyncIterable<EventMessage>;
}

export interface VolumeBackend {
  list(filters: Filters): Promise<VolumeListResponse>;
  create(request: VolumeCreateRequest): Promise<Volume>;
  inspect(name: string): Promise<Volume>;
  remove(name: string, options: { force: boolean }): Promise<void>;
  prune(filters: Filters, options: { all: boolean }): Promise<VolumePruneResponse>;
}

export interface ImageListOptions {
  all: boolean;
  digests: boolean;
  sharedSize: boolean;
  filters: Filters;
}

export interface ImageImportOptions {
  /** `fromSrc`: "-" means the request body; else a URL to fetch. */
  source: Readable | URL;
  repo?: string;
  tag?: string;
  message?: string;
  /** Dockerfile-like `changes` (CMD, ENV, ...). */
  changes: string[];
  platform?: string;
}

export interface ImagePullOptions {
  image: string;
  tag?: string;
  platform?: string;
  /** The decoded X-Registry-Auth header, when the client sent one. */
  auth?: Record<string, unknown>;
  signal: AbortSignal;
}

export interface CommitOptions {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
  /** The container config overrides in the request body (`Cmd`, `Env`, `Labels` ...). */
  config?: Record<string, unknown>;
}

export interface ImageBackend {
  list(options: ImageListOptions): Promise<ImageSummary[]>;
  inspect(name: string): Promise<ImageInspect>;
  history(name: string): Promise<ImageHistoryItem[]>;
  tag(name: string, repo: string, tag: string | undefined): Promise<void>;
  remove(name: string, options: { force: boolean; noPrune: boolean }): Promise<ImageDeleteItem[]>;
  prune(filters: Filters): Promise<ImagePruneResponse>;
  /** Writes a docker-archive tar of `names` to `out` (`docker save`). */
  save(names: string[], out: Writable, signal: AbortSignal): Promise<void>;
  /** Reads a docker-archive or OCI layout tar (`docker load`), reporting "Loaded image: ..." lines. */
  load(input: Readable, progress: ProgressSink, options: { quiet: boolean; signal: AbortSignal }): Promise<void>;
  /** `docker import`: one rootfs tar becomes a one-layer image; returns its id. */
  importImage(options: ImageImportOptions, progress: ProgressSink, signal: AbortSignal): Promise<string>;
  /** Pulls from a registry; not-implemented until the registry client lands. */
  pull(options: ImagePullOptions, progress: ProgressSink): Promise<void>;
  commit(options: CommitOptions): Promise<IdResponse>;
}
