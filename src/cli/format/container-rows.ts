import type { ContainerSummary, PortSummary } from '../../api/types/index.ts';
import { ellipsis, humanSize, shortId, timeAgo } from './humanize.ts';
import type { Headers } from './formatter.ts';

export const containerHeaders: Headers = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Label: () => 'LABEL',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

export const defaultPsFormat = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** Go's time.Time String(): "2024-01-02 15:04:05 +0000 UTC". */
export function goTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

/**
 * Docker's DisplayablePorts: `0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp`, consecutive ports
 * with the same mapping grouped into ranges.
 */
export function displayPorts(ports: readonly PortSummary[] | null | undefined): string {
  if (!ports || ports.length === 0) return '';
  const groups = new Map<string, number[]>();
  const hostMapped: string[] = [];
  const sorted = [...ports].sort((a, b) => (a.PrivatePort - b.PrivatePort) || (a.Type < b.Type ? -1 : 1));
  for (const p of sorted) {
    if (p.PublicPort !== undefined && p.PublicPort !== 0 && p.IP !== undefined && p.IP !== '') {
      const ip = p.IP.includes(':') ? `[${p.IP}]` : p.IP;
      hostMapped.push(`${ip}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`);
      continue;
    }
    const key = p.Type;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(p.PrivatePort);
  }
  const out: string[] = [...hostMapped];
  for (const [type, list] of groups) {
    const uniq = [...new Set(list)].sort((a, b) => a - b);
    let start = uniq[0] as number;
    let prev = start;
    for (let i = 1; i <= uniq.length; i++) {
      const cur = uniq[i];
      if (cur !== undefined && cur === prev + 1) {
        prev = cur;
        continue;
      }
      out.push(start === prev ? `${start}/${type}` : `${start}-${prev}/${type}`);
      if (cur !== undefined) start = prev = cur;
    }
  }
  return out.join(', ');
}

/** One `ps` row: the fields docker's container formatter exposes, as strings. */
export function containerRow(c: ContainerSummary, options: { trunc: boolean; now?: number }): Record<string, unknown> {
  const trunc = options.trunc;
  let image = c.Image ?? '';
  if (trunc && image.startsWith('sha256:')) image = shortId(image);
  let names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  if (trunc) names = names.filter((n) => !n.includes('/')).slice(0, 1);
  const labels = c.Labels ?? {};
  const mounts = (c.Mounts ?? []).map((m) => {
    const n = m.Name || m.Source || '';
    return trunc ? ellipsis(n, 15) : n;
  });
  const row: Record<string, unknown> = {
    Command: JSON.stringify(trunc ? ellipsis(c.Command ?? '', 20) : c.Command ?? ''),
    CreatedAt: goTime(c.Created),
    ID: trunc ? shortId(c.Id) : c.Id,
    Image: image,
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Mounts: mounts.join(','),
    Names: names.join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Ports: displayPorts(c.Ports),
    RunningFor: timeAgo(c.Created, options.now),
    Size: sizeText(c),
    State: c.State ?? '',
    Status: c.Status ?? '',
  };
  Object.defineProperty(row, 'Label', { value: (name: unknown) => labels[String(name)] ?? '', enumerable: false });
  return row;
}

function sizeText(c: ContainerSummary): string {
  if (c.SizeRw === undefined && c.SizeRootFs === undefined) return '0B';
  const rw = humanSize(c.SizeRw ?? 0);
  return c.SizeRootFs ? `${rw} (virtual ${humanSize(c.SizeRootFs)})` : rw;
}
