import type { ContainerUpdateRequest } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { parseRestart } from '../../opts/container-options.ts';
import { parseBytes, parseCpus } from '../../opts/units.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Update configuration of one or more containers',
    minArgs: 1,
    flags: [
      { name: 'cpus', kind: 'string', valueName: 'decimal', description: 'Number of CPUs' },
      { name: 'cpu-shares', short: 'c', kind: 'int', description: 'CPU shares (relative weight)' },
      { name: 'cpuset-cpus', kind: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
      { name: 'cpuset-mems', kind: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)' },
      { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Memory limit' },
      { name: 'memory-reservation', kind: 'string', valueName: 'bytes', description: 'Memory soft limit' },
      { name: 'memory-swap', kind: 'string', valueName: 'bytes', description: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
      { name: 'pids-limit', kind: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
      { name: 'restart', kind: 'string', description: 'Restart policy to apply when a container exits' },
    ],
  },
  async run(ctx, args, flags) {
    const body = updateBody(flags);
    if (Object.keys(body).length === 0) throw new UsageError('you must provide one or more flags when using this command');
    return forEachTarget(ctx, args, async (id) => {
      const r = await ctx.engine().containers.update(id, body);
      for (const w of r?.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
    });
  },
};

export function updateBody(flags: import('../../parse/flags.ts').ParsedFlags): ContainerUpdateRequest {
  const body: ContainerUpdateRequest = {};
  const cpus = flags.string('cpus');
  if (cpus !== undefined) body.NanoCpus = parseCpus(cpus);
  const shares = flags.int('cpu-shares');
  if (shares !== undefined) body.CpuShares = shares;
  const cpuset = flags.string('cpuset-cpus');
  if (cpuset !== undefined) body.CpusetCpus = cpuset;
  const mems = flags.string('cpuset-mems');
  if (mems !== undefined) body.CpusetMems = mems;
  const mem = flags.string('memory');
  if (mem !== undefined) body.Memory = parseBytes(mem, '-m, --memory');
  const res = flags.string('memory-reservation');
  if (res !== undefined) body.MemoryReservation = parseBytes(res, '--memory-reservation');
  const swap = flags.string('memory-swap');
  if (swap !== undefined) body.MemorySwap = parseBytes(swap, '--memory-swap');
  const pids = flags.int('pids-limit');
  if (pids !== undefined) body.PidsLimit = pids;
  const restart = flags.string('restart');
  if (restart !== undefined) body.RestartPolicy = parseRestart(restart);
  return body;
}
