import { invalidArgument } from '../lib/index.ts';
import type { HostConfig } from './types.ts';

/**
 * Docker's namespace sharing modes (HostConfig.PidMode, IpcMode, UTSMode, UsernsMode): a new
 * namespace (the default), the host's, or another container's (`container:<name|id>`).
 */

/** The container a `container:<name|id>` mode names, else undefined. */
export function containerOfMode(mode: string): string | undefined {
  return mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

const ipcModes = new Set(['', 'private', 'shareable', 'host', 'none']);

function validMode(mode: string, plain: Set<string>): boolean {
  const target = containerOfMode(mode);
  return target === undefined ? plain.has(mode) : target !== '';
}

/** Create-time checks with docker's messages (targets are checked when the container starts). */
export function validateNamespaceModes(hc: Pick<HostConfig, 'ipcMode' | 'pidMode' | 'utsMode' | 'usernsMode'>, hostname: string): void {
  if (!validMode(hc.ipcMode, ipcModes)) throw invalidArgument(`invalid IPC mode: ${hc.ipcMode}`);
  if (!validMode(hc.pidMode, new Set(['', 'host']))) throw invalidArgument(`invalid PID mode: ${hc.pidMode}`);
  if (hc.utsMode !== '' && hc.utsMode !== 'host') throw invalidArgument(`invalid UTS mode: ${hc.utsMode}`);
  if (hc.usernsMode !== '' && hc.usernsMode !== 'host') throw invalidArgument(`invalid USER mode: ${hc.usernsMode}`);
  if (hc.utsMode === 'host' && hostname) throw invalidArgument('conflicting options: hostname and the UTS mode');
}

/** Whether another container may join this one's IPC namespace and /dev/shm (docker's rule). */
export function isShareableIpc(ipcMode: string): boolean {
  return ipcMode === 'shareable' || ipcMode === 'host';
}

/** What a starting container joins, resolved by the service from its targets' running tasks. */
export interface SharedNamespaces {
  /** Host pid of the task whose PID namespace is joined (PidMode container:x). */
  pidFrom?: number;
  /** Host pid of the task whose IPC namespace is joined (IpcMode container:x). */
  ipcFrom?: number;
  /** Host directory bind-mounted at /dev/shm (IpcMode shareable, host, container:x). */
  shmSource?: string;
}
