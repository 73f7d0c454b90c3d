import type { Volume as VolumeWire, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse } from '../api/types/index.ts';
import { filterBool, type Filters, type VolumeBackend } from '../api/server/index.ts';
import { invalidArgument } from '../lib/index.ts';
import type { Volume, VolumeService } from '../volumes/index.ts';

/** The wire shape of a volume record; `usage` only for `system df`. */
export function volumeToWire(v: Volume, usage?: { size: number; refCount: number }): VolumeWire {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: Object.keys(v.labels).length ? v.labels : null,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length ? v.options : null,
    Scope: 'local',
    ...(usage ? { UsageData: { Size: usage.size, RefCount: usage.refCount } } : {}),
  };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Adapts the VolumeService to the API's VolumeBackend (docker's filters and shapes). */
export class DaemonVolumeBackend implements VolumeBackend {
  constructor(private readonly volumes: VolumeService) {}

  async list(filters: Filters): Promise<VolumeListResponse> {
    const dangling = filters.get('dangling')?.[0];
    const list = this.volumes.list({
      ...(dangling !== undefined ? { dangling: filterBool('dangling', dangling) } : {}),
      ...(filters.get('name') ? { name: filters.get('name')! } : {}),
      ...(filters.get('label') ? { label: filters.get('label')! } : {}),
      ...(filters.get('driver') ? { driver: filters.get('driver')! } : {}),
    });
    return { Volumes: list.map((u) => volumeToWire(u.volume)), Warnings: null };
  }

  async create(request: VolumeCreateRequest): Promise<VolumeWire> {
    if (request.Name !== undefined && typeof request.Name !== 'string') throw invalidArgument('create volume: Name must be a string');
    if (request.Labels !== undefined && request.Labels !== null && !isStringMap(request.Labels)) {
      throw invalidArgument('create volume: Labels must map strings to strings');
    }
    if (request.DriverOpts !== undefined && request.DriverOpts !== null && !isStringMap(request.DriverOpts)) {
      throw invalidArgument('create volume: DriverOpts must map strings to strings');
    }
    const v = await this.volumes.create({
      ...(request.Name ? { name: request.Name } : {}),
      ...(request.Driver ? { driver: request.Driver } : {}),
      ...(request.DriverOpts ? { driverOpts: request.DriverOpts } : {}),
      ...(request.Labels ? { labels: request.Labels } : {}),
    });
    return volumeToWire(v);
  }

  async inspect(name: string): Promise<VolumeWire> {
    return volumeToWire(this.volumes.inspect(name));
  }

  async remove(name: string, options: { force: boolean }): Promise<void> {
    await this.volumes.remove(name, { force: options.force });
  }

  async prune(filters: Filters, options: { all: boolean }): Promise<VolumePruneResponse> {
    const r = await this.volumes.prune({
      all: options.all,
      ...(filters.get('label') ? { label: filters.get('label')! } : {}),
      ...(filters.get('label!') ? { labelNot: filters.get('label!')! } : {}),
    });
    return { VolumesDeleted: r.deleted.length ? r.deleted : null, SpaceReclaimed: r.reclaimed };
  }

  /** `system df` volumes: every volume with its size and how many containers use it. */
  async diskUsage(): Promise<VolumeWire[]> {
    const out: VolumeWire[] = [];
    for (const u of this.volumes.list()) {
      const size = await this.volumes.size(u.volume.name).catch(() => -1);
      out.push(volumeToWire(u.volume, { size, refCount: u.usedBy.length }));
    }
    return out;
  }
}
