import type { VersionResponse } from '../../../api/types/index.ts';
import { clientApiVersion } from '../../../client/index.ts';
import type { Command } from '../../context.ts';
import { berthGitCommit, berthVersion } from '../../version.ts';
import { formatValue } from '../../format/formatter.ts';
import { errorLine } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Print the versions of the Berth client and daemon',
    maxArgs: 0,
    flags: [{ name: 'format', short: 'f', kind: 'string', description: "Output format: a Go template or 'json'" }],
  },
  async run(ctx, _args, flags) {
    const engine = ctx.engine();
    let server: VersionResponse | undefined;
    let serverErr: unknown;
    let negotiated = clientApiVersion;
    try {
      negotiated = await engine.client.apiVersion();
      server = await engine.system.version();
    } catch (err) {
      serverErr = err;
    }
    const client = {
      Platform: { Name: 'Berth' },
      Version: berthVersion,
      ApiVersion: negotiated,
      DefaultAPIVersion: clientApiVersion,
      GitCommit: berthGitCommit,
      GoVersion: `node ${process.version}`,
      Os: process.platform,
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      BuildTime: '',
      Context: 'default',
    };
    const format = flags.string('format');
    if (format) {
      ctx.out(formatValue(format, { Client: client, Server: server ?? null }) + '\n');
    } else {
      const lines = [
        'Client:',
        ` Version:           ${client.Version}`,
        ` API version:       ${client.ApiVersion}`,
        ` Node.js version:   ${process.version}`,
        ` Git commit:        ${client.GitCommit}`,
        ` OS/Arch:           ${client.Os}/${client.Arch}`,
        ` Context:           default`,
      ];
      if (server) {
        lines.push('', `Server: ${server.Platform?.Name ?? ''}`.trimEnd());
        for (const c of server.Components ?? []) {
          lines.push(` ${c.Name}:`, `  Version:          ${c.Version}`);
          if (c.Name === 'Engine') {
            lines.push(`  API version:      ${server.ApiVersion} (minimum version ${server.MinAPIVersion})`);
          }
          for (const [k, v] of Object.entries(c.Details ?? {})) {
            if (c.Name === 'Engine' && (k === 'ApiVersion' || k === 'MinAPIVersion')) continue;
            lines.push(`  ${(humanKey(k) + ':').padEnd(17)} ${v}`);
          }
        }
        if (!server.Components?.length) {
          lines.push(` Engine:`, `  Version:          ${server.Version}`, `  API version:      ${server.ApiVersion} (minimum version ${server.MinAPIVersion})`, `  OS/Arch:          ${server.Os}/${server.Arch}`);
        }
      }
      ctx.out(lines.join('\n') + '\n');
    }
    if (serverErr) {
      ctx.err(errorLine(serverErr).replace(/^Error: /, '') + '\n');
      return 1;
    }
    return 0;
  },
};

function humanKey(k: string): string {
  const map: Record<string, string> = { GitCommit: 'Git commit', GoVersion: 'Go version', KernelVersion: 'Kernel version', BuildTime: 'Built', Os: 'OS', Arch: 'Arch', Experimental: 'Experimental' };
  return map[k] ?? k;
}
