import type { ContainerStatsWire } from '../../api/types/index.ts';
import { bytesSize, humanSize, shortId } from './humanize.ts';
import type { Headers } from './formatter.ts';

export const statsHeaders: Headers = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

export const defaultStatsFormat = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** CPU percentage as docker computes it from two samples. */
export function cpuPercent(s: Pick<ContainerStatsWire, 'cpu_stats' | 'precpu_stats'>): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  if (sysDelta > 0 && cpuDelta > 0) return (cpuDelta / sysDelta) * cpus * 100;
  return 0;
}

/** Memory usage without the page cache (v1 total_inactive_file, v2 inactive_file). */
export function memUsage(s: Pick<ContainerStatsWire, 'memory_stats'>): number {
  const usage = s.memory_stats.usage ?? 0;
  const st = s.memory_stats.stats ?? {};
  const inactive = st['total_inactive_file'] ?? st['inactive_file'];
  if (inactive !== undefined && inactive < usage) return usage - inactive;
  return usage;
}

/** One `stats` row. */
export function statsRow(id: string, name: string, s: ContainerStatsWire | undefined, trunc: boolean): Record<string, string> {
  if (!s) {
    return { BlockIO: '--', CPUPerc: '--', Container: trunc ? shortId(id) : id, ID: trunc ? shortId(id) : id, MemPerc: '--', MemUsage: '-- / --', Name: name, NetIO: '--', PIDs: '--' };
  }
  const mem = memUsage(s);
  const limit = s.memory_stats.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    if (op === 'write') write += e.value;
  }
  return {
    BlockIO: `${humanSize(read)} / ${humanSize(write)}`,
    CPUPerc: `${cpuPercent(s).toFixed(2)}%`,
    Container: trunc ? shortId(id) : id,
    ID: trunc ? shortId(id) : id,
    MemPerc: `${(limit > 0 ? (mem / limit) * 100 : 0).toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    Name: name,
    NetIO: `${humanSize(rx)} / ${humanSize(tx)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}
