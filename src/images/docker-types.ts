import type { ImageSummary } from '../api/types/index.ts';

/**
 * The Engine API shapes ImageService answers with are the wire types of api/types (the daemon
 * passes them through unchanged); this adds the one answer that is not an endpoint of its own.
 */
export interface ImageDiskUsage {
  LayersSize: number;
  Images: ImageSummary[];
}
