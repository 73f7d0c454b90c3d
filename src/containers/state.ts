import { BerthError, conflict, berthError } from '../lib/index.ts';

/**
 * A container's lifecycle (docker's vocabulary):
 *
 *   created ──start──▶ running ──pause──▶ paused ──unpause──▶ running
 *                         │ exit/stop/kill
 *                         ▼
 *   restarting ◀──policy── exited ──start──▶ running
 *   any stopped state ──remove──▶ removing ──▶ (gone)     a failed removal leaves `dead`
 */
export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy' | 'none';

export interface HealthLogEntry {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

export interface Health {
  status: HealthStatus;
  failingStreak: number;
  log: HealthLogEntry[];
}

export interface ContainerState {
  status: Status;
  pid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  /** ISO time; docker's zero time "0001-01-01T00:00:00Z" when never. */
  startedAt: string;
  finishedAt: string;
  health?: Health;
  /** Set by `docker stop`/`kill` through the API: unless-stopped and always do not restart it. */
  stoppedByUser: boolean;
  /** Whether the daemon asked for removal once the container stops (AutoRemove). */
  removalInProgress?: boolean;
}

export const zeroTime = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    status: 'created',
    pid: 0,
    exitCode: 0,
    error: '',
    oomKilled: false,
    startedAt: zeroTime,
    finishedAt: zeroTime,
    stoppedByUser: false,
  };
}

export const isRunning = (s: ContainerState) => s.status === 'running' || s.status === 'paused';

/** Errors with docker's exact wording; the API maps codes to statuses (conflict → 409, not-modified → 304). */
export function checkCanStart(id: string, s: ContainerState): void {
  if (s.status === 'paused') throw conflict('cannot start a paused container, try unpause instead');
  if (s.status === 'running') throw notModified(`container ${id} is already running`);
  if (s.status === 'removing') throw conflict(`container is marked for removal and cannot be started`);
  if (s.status === 'dead') throw conflict(`container is marked for removal and cannot be started`);
}

export function checkCanStop(id: string, s: ContainerState): void {
  if (!isRunning(s) && s.status !== 'restarting') throw notModified(`container ${id} is already stopped`);
}

export function checkCanKill(id: string, s: ContainerState): void {
  if (!isRunning(s) && s.status !== 'restarting') {
    throw conflict(`Cannot kill container: ${id}: Container ${id} is not running`);
  }
}

export function checkCanPause(id: string, s: ContainerState): void {
  if (s.status === 'paused') throw conflict(`Container ${id} is already paused`);
  if (s.status === 'restarting') throw conflict(`Container ${id} is restarting, wait until the container is running`);
  if (s.status !== 'running') throw conflict(`Container ${id} is not running`);
}

export function checkCanUnpause(id: string, s: ContainerState): void {
  if (s.status !== 'paused') throw conflict(`Container ${id} is not paused`);
}

export function checkCanExec(id: string, s: ContainerState): void {
  if (s.status === 'paused') throw conflict(`Container ${id} is paused, unpause the container before exec`);
  if (s.status === 'restarting') throw conflict(`Container ${id} is restarting, wait until the container is running`);
  if (s.status !== 'running') throw conflict(`container ${id} is not running`);
}

export function checkCanAttach(s: ContainerState): void {
  if (s.status === 'restarting') throw conflict('You cannot attach to a restarting container, wait until it is running');
  if (s.status === 'paused') throw conflict('You cannot attach to a paused container, unpause it first');
}

export function checkCanRemove(name: string, id: string, s: ContainerState, force: boolean): void {
  if (s.status === 'removing') throw conflict(`removal of container ${id} is already in progress`);
  if (force) return;
  if (s.status === 'paused') {
    throw conflict(`cannot remove container "/${name}": container is paused and must be unpaused first`);
  }
  if (s.status === 'running' || s.status === 'restarting') {
    throw conflict(`cannot remove container "/${name}": container is ${s.status}: stop the container before removing or force remove`);
  }
}

function notModified(message: string): BerthError {
  return berthError('not-modified', message);
}

/** Docker's human status for `ps`: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created" ... */
export function humanStatus(s: ContainerState, now = Date.now()): string {
  switch (s.status) {
    case 'created':
      return 'Created';
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'exited':
      if (s.finishedAt === zeroTime) return `Exited (${s.exitCode})`;
      return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'running':
    case 'paused': {
      let out = `Up ${humanDuration(now - Date.parse(s.startedAt))}`;
      if (s.status === 'paused') out += ' (Paused)';
      else if (s.health && s.health.status !== 'none') {
        out += s.health.status === 'starting' ? ' (health: starting)' : ` (${s.health.status})`;
      }
      return out;
    }
  }
}

/** go-units HumanDuration, as docker prints it. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}
