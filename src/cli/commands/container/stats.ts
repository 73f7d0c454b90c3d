import type { ContainerStatsWire } from '../../../api/types/index.ts';
import { jsonStream } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { formatRows } from '../../format/formatter.ts';
import { defaultStatsFormat, statsHeaders, statsRow } from '../../format/stats-rows.ts';
import { configuredFormat, formatFlag, formatOption } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] [CONTAINER...]',
    description: 'Watch CPU, memory, network and disk use of containers',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', description: 'Include containers that are not running' },
      formatFlag,
      { name: 'no-stream', kind: 'bool', description: 'Print one snapshot and exit' },
      { name: 'no-trunc', kind: 'bool', description: 'Print IDs and values in full' },
    ],
  },
  async run(ctx, args, flags) {
    const engine = ctx.engine();
    const trunc = !flags.bool('no-trunc');
    const format = formatOption(flags) || configuredFormat(ctx, 'statsFormat') || defaultStatsFormat;
    let targets: { id: string; name: string }[];
    if (args.length) {
      targets = [];
      for (const a of args) {
        const info = await engine.containers.inspect(a);
        targets.push({ id: info.Id, name: info.Name.replace(/^\//, '') });
      }
    } else {
      const list = await engine.containers.list({ all: flags.bool('all') });
      targets = list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, '') }));
    }
    if (flags.bool('no-stream')) {
      const samples = await Promise.all(
        targets.map(async (t) => {
          try {
            const res = await engine.containers.stats(t.id, { stream: false });
            for await (const s of jsonStream<ContainerStatsWire>(res)) return s;
          } catch {
            return undefined;
          }
          return undefined;
        }),
      );
      ctx.out(formatRows(format, targets.map((t, i) => statsRow(t.id, t.name, samples[i], trunc)), statsHeaders));
      return 0;
    }
    const latest = new Map<string, ContainerStatsWire>();
    const streams = targets.map(async (t) => {
      try {
        const res = await engine.containers.stats(t.id, { stream: true });
        for await (const s of jsonStream<ContainerStatsWire>(res)) latest.set(t.id, s);
      } catch {
        // the container went away: keep its last sample
      }
    });
    const draw = () => {
      const table = formatRows(format, targets.map((t) => statsRow(t.id, t.name, latest.get(t.id), trunc)), statsHeaders);
      ctx.out((ctx.stdout.isTTY ? '\x1b[2J\x1b[H' : '') + table);
    };
    const timer = setInterval(draw, 1000);
    try {
      await Promise.all(streams);
    } finally {
      clearInterval(timer);
    }
    draw();
    return 0;
  },
};
