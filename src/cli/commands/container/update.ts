import type { ContainerUpdateRequest } from '../../../api/types/index.ts';
import type { Command } from '../../context.ts';
import { UsageError } from '../../parse/flags.ts';
import { parseRestart } from '../../opts/container-options.ts';
import { parseBytes, parseCpus } from '../../opts/units.ts';
import { checkBlkioWeight } from '../../opts/blkio.ts';
import { forEachTarget } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Change resource limits or restart policy of containers',
    minArgs: 1,
    flags: [
      { name: 'blkio-weight', kind: 'int', valueName: 'uint16', description: 'Relative block I/O weight, 10 to 1000 (0: unset)' },
      { name: 'cpus', kind: 'string', valueName: 'decimal', description: 'How many CPUs worth of time the container may use (e.g. 1.5)' },
      { name: 'cpu-shares', short: 'c', kind: 'int', description: 'CPU weight relative to other containers' },
      { name: 'cpuset-cpus', kind: 'string', description: 'CPUs the container may run on (e.g. 0-3 or 0,1)' },
      { name: 'cpuset-mems', kind: 'string', description: 'Memory nodes the container may use (e.g. 0-3 or 0,1)' },
      { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Most memory the container may use' },
      { name: 'memory-reservation', kind: 'string', valueName: 'bytes', description: 'Memory the container is reclaimed down to under pressure' },
      { name: 'memory-swap', kind: 'string', valueName: 'bytes', description: 'Memory plus swap the container may use (-1: no swap limit)' },
      { name: 'pids-limit', kind: 'int', description: 'Most processes the container may have (-1: no limit)' },
      { name: 'restart', kind: 'string', description: 'When to restart the container after it exits (no, always, unless-stopped, on-failure[:N])' },
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
  const weight = flags.int('blkio-weight');
  if (weight !== undefined) body.BlkioWeight = checkBlkioWeight(weight);
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
