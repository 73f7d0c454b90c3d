/**
 * A named volume: a directory managed by the engine that outlives containers. The local driver
 * keeps its data in `<data-root>/volumes/<name>/_data`; the record (driver, labels, options,
 * creation time) lives in the metadata database. An anonymous volume gets a random 64-hex name
 * and the `com.docker.volume.anonymous` label, as docker does; prune removes only those unless
 * asked for all.
 */
export interface Volume {
  name: string;
  driver: string;
  /** Host path of the volume's data, what containers mount. */
  mountpoint: string;
  /** RFC 3339. */
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  anonymous: boolean;
}

export interface CreateVolumeOptions {
  /** Absent or empty: an anonymous volume with a random name. */
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface VolumeListFilters {
  /** true: only volumes no container uses; false: only used ones. */
  dangling?: boolean;
  /** Substrings of the name (docker matches names by substring). */
  name?: string[];
  /** `key` or `key=value`; all must match. */
  label?: string[];
  driver?: string[];
}

export interface VolumePruneOptions {
  label?: string[];
  /** Volumes carrying any of these (`key` or `key=value`) are kept. */
  labelNot?: string[];
  /** Prune named volumes too, not only anonymous ones. */
  all: boolean;
}

export interface VolumeUsage {
  volume: Volume;
  /** Ids of the containers using it. */
  usedBy: string[];
}

/** Tells which containers use a volume (wired to the container service by the daemon). */
export type VolumeUsers = (name: string) => string[];

export const anonymousLabel = 'com.docker.volume.anonymous';
export const localDriver = 'local';
