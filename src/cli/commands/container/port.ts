import type { Command } from '../../context.ts';
import { StatusError } from '../../context.ts';

export const command: Command = {
  spec: { usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]', description: "Show which host addresses a container's ports are published on", minArgs: 1, maxArgs: 2, flags: [] },
  async run(ctx, args) {
    const [id, want] = args as [string, string?];
    const info = await ctx.engine().containers.inspect(id);
    const ports = info.NetworkSettings?.Ports ?? {};
    if (want) {
      const key = want.includes('/') ? want : `${want}/tcp`;
      const bindings = ports[key];
      if (!bindings || bindings.length === 0) throw new StatusError(`Error: No public port '${key}' published for ${id}`, 1);
      for (const b of bindings) ctx.out(`${hostPort(b.HostIp, b.HostPort)}\n`);
      return 0;
    }
    const keys = Object.keys(ports).sort((a, b) => parseInt(a) - parseInt(b));
    for (const k of keys) for (const b of ports[k] ?? []) ctx.out(`${k} -> ${hostPort(b.HostIp, b.HostPort)}\n`);
    return 0;
  },
};

function hostPort(ip: string | undefined, port: string | undefined): string {
  const h = ip || '0.0.0.0';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? ''}`;
}
