import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../client/index.ts';

/** Streams and environment a command runs with; tests pass their own. */
export interface CliIO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown; fd?: number };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Everything a command needs: IO, the lazily opened Engine, and where it was invoked from. */
export interface CliContext extends CliIO {
  /** `berth` (or what argv[1] was called). */
  program: string;
  /** The canonical command path, e.g. `container run`. */
  command: string;
  /** The name the user typed, e.g. `run` (for messages like "See 'berth run --help'."). */
  invokedAs: string;
  /** Opens the connection to the daemon on first use. */
  engine(): Engine;
  /** The docker config directory (~/.docker, or DOCKER_CONFIG / --config). */
  configDir: string;
  /** Text output helper: writes to stdout. */
  out(text: string): void;
  err(text: string): void;
}

/** What a command module exports. It returns the process exit status. */
export interface Command {
  spec: import('./parse/flags.ts').CommandSpec;
  run(ctx: CliContext, args: string[], flags: import('./parse/flags.ts').ParsedFlags): Promise<number>;
}

/** An error whose exit status is given (docker's StatusError): run's 125/126/127. */
export class StatusError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}
