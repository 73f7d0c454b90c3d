import type { Logger } from '../lib/index.ts';
import type { HealthStatus } from './state.ts';
import type { Container, HealthConfig } from './types.ts';

const defaultInterval = 30_000;
const defaultTimeout = 30_000;
const defaultStartPeriod = 0;
const defaultRetries = 3;
const maxLogEntries = 5;

export interface HealthProbe {
  run(args: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** After every probe (persist the log). */
  recorded(): void;
  /** When the status changed (publish health_status). */
  changed(status: HealthStatus): void;
  log: Logger;
}

/** The probe's argv: CMD → as is, CMD-SHELL → /bin/sh -c. */
export function probeArgs(test: readonly string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  return [...test];
}

/**
 * Docker's health checker for one running container: a probe every Interval (StartInterval
 * during the start period), Timeout per probe, Retries consecutive failures make it unhealthy
 * (failures in the start period do not count), one success makes it healthy; the last five
 * results are kept in State.Health.Log.
 */
export class HealthMonitor {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #startedAt = Date.now();

  constructor(
    private readonly c: Container,
    private readonly config: HealthConfig,
    private readonly probe: HealthProbe,
  ) {}

  start(): void {
    this.c.state.health = { status: 'starting', failingStreak: 0, log: [] };
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #inStartPeriod(): boolean {
    const sp = this.config.startPeriod ? this.config.startPeriod / 1e6 : defaultStartPeriod;
    return Date.now() - this.#startedAt < sp;
  }

  #schedule(): void {
    if (this.#stopped) return;
    let interval = this.config.interval ? this.config.interval / 1e6 : defaultInterval;
    if (this.#inStartPeriod() && this.config.startInterval) interval = this.config.startInterval / 1e6;
    this.#timer = setTimeout(() => {
      this.#tick().catch((err: unknown) => {
        this.probe.log.error('health check', { id: this.c.id, error: (err as Error)?.message ?? String(err) });
        this.#schedule();
      });
    }, interval);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const timeout = this.config.timeout ? this.config.timeout / 1e6 : defaultTimeout;
    const start = new Date().toISOString();
    let result: { exitCode: number; output: string };
    try {
      result = await this.probe.run(probeArgs(this.config.test), timeout);
    } catch (err) {
      result = { exitCode: -1, output: (err as Error).message };
    }
    if (this.#stopped) return;
    const h = this.c.state.health ?? { status: 'starting', failingStreak: 0, log: [] };
    h.log = [...h.log, { start, end: new Date().toISOString(), exitCode: result.exitCode, output: result.output }].slice(-maxLogEntries);
    const before = h.status;
    if (result.exitCode === 0) {
      h.status = 'healthy';
      h.failingStreak = 0;
    } else if (!(this.#inStartPeriod() && h.status !== 'healthy')) {
      h.failingStreak++;
      const retries = this.config.retries || defaultRetries;
      if (h.failingStreak >= retries) h.status = 'unhealthy';
    }
    this.c.state.health = h;
    this.probe.recorded();
    if (before !== h.status) this.probe.changed(h.status);
    this.#schedule();
  }
}
