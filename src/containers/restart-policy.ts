import { invalidArgument } from '../lib/index.ts';
import type { RestartPolicy } from './types.ts';

/** Parses `--restart` forms: no, always, unless-stopped, on-failure[:N]. */
export function parseRestartPolicy(name: string, maximumRetryCount = 0): RestartPolicy {
  let n = name;
  let max = maximumRetryCount;
  const i = name.indexOf(':');
  if (i >= 0) {
    n = name.slice(0, i);
    max = Number(name.slice(i + 1));
  }
  switch (n) {
    case '':
    case 'no':
      if (max) throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
      return { name: n, maximumRetryCount: 0 };
    case 'always':
    case 'unless-stopped':
      if (max) throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
      return { name: n, maximumRetryCount: 0 };
    case 'on-failure':
      if (!Number.isInteger(max) || max < 0) throw invalidArgument('invalid restart policy: maximum retry count must be a positive integer');
      return { name: n, maximumRetryCount: max };
    default:
      throw invalidArgument(`invalid restart policy: unknown policy '${n}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}

export interface RestartDecision {
  restart: boolean;
  /** Milliseconds to wait before restarting. */
  delay: number;
}

/**
 * Docker's restart manager: the delay starts at 100 ms and doubles after each restart up to one
 * minute; a run of at least 10 s resets it. A user stop suppresses every policy; on-failure
 * restarts on a non-zero exit only, at most MaximumRetryCount times (0 = unlimited).
 */
export class RestartManager {
  #delay = 0;
  #canceled = false;

  constructor(private policy: RestartPolicy) {}

  setPolicy(policy: RestartPolicy): void {
    this.policy = policy;
  }

  cancel(): void {
    this.#canceled = true;
  }

  reset(): void {
    this.#canceled = false;
    this.#delay = 0;
  }

  decide(exitCode: number, restartCount: number, stoppedByUser: boolean, ranForMs: number): RestartDecision {
    const p = this.policy;
    let restart = false;
    if (!this.#canceled && !stoppedByUser) {
      if (p.name === 'always' || p.name === 'unless-stopped') restart = true;
      else if (p.name === 'on-failure') restart = exitCode !== 0 && (p.maximumRetryCount === 0 || restartCount < p.maximumRetryCount);
    }
    if (!restart) return { restart: false, delay: 0 };
    if (ranForMs >= 10_000) this.#delay = 0;
    this.#delay = this.#delay === 0 ? 100 : Math.min(this.#delay * 2, 60_000);
    return { restart: true, delay: this.#delay };
  }
}
