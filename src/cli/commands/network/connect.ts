import type { Command } from '../../context.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Join a container to a network',
    minArgs: 2,
    maxArgs: 2,
    flags: [
      { name: 'alias', kind: 'list', description: 'Extra name the container answers to on this network' },
      { name: 'ip', kind: 'string', description: 'Fixed IPv4 address on the network (e.g. "172.30.100.104")' },
      { name: 'ip6', kind: 'string', description: 'Fixed IPv6 address on the network (e.g. "2001:db8::33")' },
      { name: 'link', kind: 'list', description: 'Legacy link to another container (name[:alias])' },
    ],
  },
  async run(ctx, args, flags) {
    const [network, container] = args as [string, string];
    const ip = flags.string('ip');
    const ip6 = flags.string('ip6');
    await ctx.engine().networks.connect(network, {
      Container: container,
      EndpointConfig: {
        ...(flags.list('alias').length ? { Aliases: flags.list('alias') } : {}),
        ...(flags.list('link').length ? { Links: flags.list('link') } : {}),
        ...(ip || ip6 ? { IPAMConfig: { ...(ip ? { IPv4Address: ip } : {}), ...(ip6 ? { IPv6Address: ip6 } : {}) } } : {}),
      },
    });
    return 0;
  },
};
