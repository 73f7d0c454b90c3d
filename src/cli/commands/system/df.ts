import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { humanSize } from '../../format/humanize.ts';
import { formatFlag, formatOption } from '../shared.ts';

const headers = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function reclaim(size: number, reclaimable: number, percent: boolean): string {
  const text = humanSize(reclaimable);
  if (!percent || size <= 0) return text;
  return `${text} (${Math.round((reclaimable / size) * 100)}%)`;
}

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Report how much disk Berth uses for images, containers and volumes',
    maxArgs: 0,
    flags: [formatFlag, { name: 'verbose', short: 'v', kind: 'bool', description: 'List every image, container and volume with its size' }],
  },
  async run(ctx, _args, flags) {
    const df = await ctx.engine().system.df();
    const images = df.Images ?? [];
    const containers = df.Containers ?? [];
    const volumes = df.Volumes ?? [];
    const cache = df.BuildCache ?? [];
    const imgSize = df.LayersSize ?? images.reduce((a, i) => a + (i.Size ?? 0) - (i.SharedSize ?? 0), 0);
    const imgActive = images.filter((i) => (i.Containers ?? 0) > 0);
    const imgReclaim = imgSize - imgActive.reduce((a, i) => a + (i.Size ?? 0) - Math.max(i.SharedSize ?? 0, 0), 0);
    const cSize = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
    const cActive = containers.filter((c) => c.State === 'running');
    const cReclaim = containers.filter((c) => c.State !== 'running').reduce((a, c) => a + (c.SizeRw ?? 0), 0);
    const vSize = volumes.reduce((a, v) => a + Math.max(v.UsageData?.Size ?? 0, 0), 0);
    const vActive = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0);
    const vReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((a, v) => a + Math.max(v.UsageData?.Size ?? 0, 0), 0);
    const bSize = cache.reduce((a, b) => a + (b.Size ?? 0), 0);
    const rows = [
      { Type: 'Images', TotalCount: String(images.length), Active: String(imgActive.length), Size: humanSize(imgSize), Reclaimable: reclaim(imgSize, Math.max(imgReclaim, 0), true) },
      { Type: 'Containers', TotalCount: String(containers.length), Active: String(cActive.length), Size: humanSize(cSize), Reclaimable: reclaim(cSize, cReclaim, true) },
      { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(vActive.length), Size: humanSize(vSize), Reclaimable: reclaim(vSize, vReclaim, true) },
      { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(bSize), Reclaimable: humanSize(bSize) },
    ];
    ctx.out(formatRows(formatOption(flags) || 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', rows, headers));
    return 0;
  },
};
