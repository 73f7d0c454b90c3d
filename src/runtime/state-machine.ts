/**
 * Which verb is allowed in which status (youki's can_start/can_kill...), with the precise
 * failed-precondition error each refusal gives: `start "c1": container is running, not created`.
 */
import { failedPrecondition } from '../lib/index.ts';
import type { ContainerStatus } from './types.ts';

export const canStart = (s: ContainerStatus) => s === 'created';
export const canKill = (s: ContainerStatus) => s === 'created' || s === 'running' || s === 'paused';
export const canDelete = (s: ContainerStatus) => s === 'stopped' || s === 'created';
export const canPause = (s: ContainerStatus) => s === 'running';
export const canResume = (s: ContainerStatus) => s === 'paused';
export const canExec = (s: ContainerStatus) => s === 'running';
export const canPs = (s: ContainerStatus) => s !== 'stopped';

const rules: Record<string, [(s: ContainerStatus) => boolean, string]> = {
  start: [canStart, 'created'],
  kill: [canKill, 'created, running or paused'],
  delete: [canDelete, 'stopped or created (use force to delete a running container)'],
  pause: [canPause, 'running'],
  resume: [canResume, 'paused'],
  exec: [canExec, 'running'],
  ps: [canPs, 'created, running or paused'],
};

/** Throws failed-precondition unless `verb` may run on a container in `status`. */
export function assertCan(verb: keyof typeof rules & string, id: string, status: ContainerStatus): void {
  const rule = rules[verb];
  if (!rule) return;
  if (!rule[0](status)) throw failedPrecondition(`${verb} ${JSON.stringify(id)}: container is ${status}, not ${rule[1]}`);
}
