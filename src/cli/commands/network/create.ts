import type { Command } from '../../context.ts';
import type { IpamConfigWire } from '../../../api/types/index.ts';
import { UsageError } from '../../parse/flags.ts';
import { keyValueMap } from '../../opts/key-values.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NETWORK',
    description: 'Make a new network',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'attachable', kind: 'bool', description: 'Let containers join this network by hand' },
      { name: 'driver', short: 'd', kind: 'string', default: 'bridge', description: 'Network driver to use' },
      { name: 'gateway', kind: 'list', description: 'Gateway address of the subnet' },
      { name: 'internal', kind: 'bool', description: 'Cut the network off from the outside world' },
      { name: 'ip-range', kind: 'list', description: 'Part of the subnet container addresses are taken from' },
      { name: 'ipv6', kind: 'bool', description: 'Give the network IPv6 addresses as well' },
      { name: 'label', kind: 'list', description: 'Label to attach to the network (key=value)' },
      { name: 'opt', short: 'o', kind: 'list', valueName: 'map', description: 'Setting passed to the driver (key=value)' },
      { name: 'subnet', kind: 'list', description: 'Address range of the network, in CIDR form' },
    ],
  },
  async run(ctx, args, flags) {
    const subnets = flags.list('subnet');
    const gateways = flags.list('gateway');
    const ranges = flags.list('ip-range');
    if (gateways.length > subnets.length) throw new UsageError('every --gateway needs a --subnet');
    if (ranges.length > subnets.length) throw new UsageError('every --ip-range needs a --subnet');
    const config: IpamConfigWire[] = subnets.map((s, i) => ({
      Subnet: s,
      ...(gateways[i] ? { Gateway: gateways[i] } : {}),
      ...(ranges[i] ? { IPRange: ranges[i] } : {}),
    }));
    const r = await ctx.engine().networks.create({
      Name: args[0] as string,
      Driver: flags.string('driver') ?? 'bridge',
      Internal: flags.bool('internal'),
      Attachable: flags.bool('attachable'),
      EnableIPv6: flags.bool('ipv6'),
      IPAM: { Driver: 'default', Config: config },
      Options: keyValueMap(flags.list('opt')),
      Labels: keyValueMap(flags.list('label')),
      CheckDuplicate: true,
    });
    if (r.Warning) ctx.err(`WARNING: ${r.Warning}\n`);
    ctx.out(r.Id + '\n');
    return 0;
  },
};
