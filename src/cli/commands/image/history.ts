import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { ellipsis, humanSize, shortId, timeAgo } from '../../format/humanize.ts';
import { goTime } from '../../format/container-rows.ts';
import { formatFlag, formatOption } from '../shared.ts';

const headers = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

export const command: Command = {
  spec: {
    usage: '[OPTIONS] IMAGE',
    description: 'List the layers of an image and the steps that made them',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      formatFlag,
      { name: 'human', short: 'H', kind: 'bool', default: true, description: 'Show sizes and times in a readable form' },
      { name: 'no-trunc', kind: 'bool', description: 'Print IDs and values in full' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Print only image IDs' },
    ],
  },
  async run(ctx, args, flags) {
    const items = await ctx.engine().images.history(args[0] as string);
    const trunc = !flags.bool('no-trunc');
    const human = flags.bool('human');
    const rows = items.map((h) => ({
      Comment: h.Comment ?? '',
      CreatedAt: human ? goTime(h.Created) : new Date(h.Created * 1000).toISOString(),
      CreatedBy: trunc ? ellipsis((h.CreatedBy ?? '').replace(/\t/g, ' '), 45) : h.CreatedBy ?? '',
      CreatedSince: human ? timeAgo(h.Created) : new Date(h.Created * 1000).toISOString(),
      ID: h.Id === '<missing>' ? '<missing>' : trunc ? shortId(h.Id) : h.Id,
      Size: human ? humanSize(h.Size) : String(h.Size),
    }));
    const format = flags.bool('quiet') ? '{{.ID}}' : formatOption(flags) || 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    ctx.out(formatRows(format, rows, headers));
    return 0;
  },
};
