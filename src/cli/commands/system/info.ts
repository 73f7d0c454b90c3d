import type { InfoResponse } from '../../../api/types/index.ts';
import type { Command } from '../../context.ts';
import { formatValue } from '../../format/formatter.ts';
import { bytesSize } from '../../format/humanize.ts';
import { berthVersion } from '../../version.ts';
import { errorLine } from '../shared.ts';

export const command: Command = {
  spec: {
    usage: '[OPTIONS]',
    description: 'Report the state and configuration of the Berth daemon',
    maxArgs: 0,
    flags: [{ name: 'format', short: 'f', kind: 'string', description: "Output format: a Go template or 'json'" }],
  },
  async run(ctx, _args, flags) {
    let info: InfoResponse | undefined;
    let failure: unknown;
    try {
      info = await ctx.engine().system.info();
    } catch (err) {
      failure = err;
    }
    const format = flags.string('format');
    if (format) {
      if (!info) throw failure;
      ctx.out(formatValue(format, info) + '\n');
      return 0;
    }
    const lines = ['Client:', ` Version:    ${berthVersion}`, ' Context:    default', ` Debug Mode: false`, '', 'Server:'];
    if (!info) {
      ctx.out(lines.join('\n') + '\n');
      ctx.err(errorLine(failure).replace(/^Error: /, 'ERROR: ') + '\n');
      return 1;
    }
    lines.push(
      ` Containers: ${info.Containers}`,
      `  Running: ${info.ContainersRunning}`,
      `  Paused: ${info.ContainersPaused}`,
      `  Stopped: ${info.ContainersStopped}`,
      ` Images: ${info.Images}`,
      ` Server Version: ${info.ServerVersion}`,
      ` Storage Driver: ${info.Driver}`,
    );
    for (const [k, v] of info.DriverStatus ?? []) lines.push(`  ${k}: ${v}`);
    lines.push(
      ` Logging Driver: ${info.LoggingDriver}`,
      ` Cgroup Driver: ${info.CgroupDriver}`,
      ` Cgroup Version: ${info.CgroupVersion}`,
      ' Plugins:',
      `  Volume: ${(info.Plugins?.Volume ?? []).join(' ')}`,
      `  Network: ${(info.Plugins?.Network ?? []).join(' ')}`,
      `  Log: ${(info.Plugins?.Log ?? []).join(' ')}`,
      ` Runtimes: ${Object.keys(info.Runtimes ?? {}).join(' ')}`,
      ` Default Runtime: ${info.DefaultRuntime}`,
      ` Init Binary: ${info.InitBinary}`,
      ' Security Options:',
      ...(info.SecurityOptions ?? []).map((s) => `  ${s.replace(/^name=/, '')}`),
      ` Kernel Version: ${info.KernelVersion}`,
      ` Operating System: ${info.OperatingSystem}`,
      ` OSType: ${info.OSType}`,
      ` Architecture: ${info.Architecture}`,
      ` CPUs: ${info.NCPU}`,
      ` Total Memory: ${bytesSize(info.MemTotal)}`,
      ` Name: ${info.Name}`,
      ` ID: ${info.ID}`,
      ` Docker Root Dir: ${info.DockerRootDir}`,
      ` Debug Mode: ${info.Debug}`,
      ` Experimental: ${info.ExperimentalBuild}`,
      ` Insecure Registries:`,
      ...(info.RegistryConfig?.InsecureRegistryCIDRs ?? []).map((c) => `  ${c}`),
      ` Live Restore Enabled: ${info.LiveRestoreEnabled}`,
    );
    ctx.out(lines.join('\n') + '\n');
    for (const w of info.Warnings ?? []) ctx.err(w.startsWith('WARNING:') ? `${w}\n` : `WARNING: ${w}\n`);
    return 0;
  },
};
