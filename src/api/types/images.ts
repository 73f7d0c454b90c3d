/** Engine API wire types for `/images` (list, inspect, history, delete, prune) and `/commit`. */
import type { ContainerConfigWire } from './containers.ts';

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Unix seconds. */
  Created: number;
  Size: number;
  /** -1 unless asked for (`shared-size=1`, system df). */
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  /** -1 unless asked for (system df). */
  Containers: number;
}

/** The container config part of an image config, as docker shows it (`Config` in inspect). */
export type ImageContainerConfig = Omit<ContainerConfigWire, 'Cmd' | 'Entrypoint' | 'Healthcheck' | 'NetworkDisabled' | 'MacAddress' | 'StopTimeout' | 'Shell'> & {
  /** An image's command lines are always lists (a container create may send a string). */
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Healthcheck?: unknown;
  Shell?: string[];
};

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: ImageContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize?: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime?: string };
  /** The manifest or index the image was resolved from (containerd image store field). */
  Descriptor?: { mediaType: string; digest: string; size: number };
}

export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}

/** One entry of `GET /images/search`. */
export interface ImageSearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  /** Deprecated by docker. */
  is_automated: boolean;
}

/** `POST /commit` and `POST /containers/{id}/exec` answer. */
export interface IdResponse {
  Id: string;
}
