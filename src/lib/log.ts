/**
 * The structured logger injected into every component. The daemon writes JSON lines; the CLI
 * and the runtime CLI use the text format on stderr. No component calls console.* itself.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type Fields = Record<string, unknown>;

const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` to every line. */
  with(fields: Fields): Logger;
}

export interface LoggerOptions {
  level?: Level;
  format?: 'json' | 'text';
  write?: (line: string) => void;
}

export function isLevel(s: string): s is Level {
  return s in rank;
}

export function createLogger(options: LoggerOptions = {}, base: Fields = {}): Logger {
  const min = rank[options.level ?? 'info'];
  const format = options.format ?? 'json';
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (rank[level] < min) return;
    const all: Fields = { ...base, ...fields };
    for (const [k, v] of Object.entries(all)) if (v instanceof Error) all[k] = v.message;
    if (format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }) + '\n');
    } else {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`)
        .join(' ');
      write(`${level}: ${msg}${extra ? ' ' + extra : ''}\n`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    with: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything; for tests and library callers that pass none. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return nullLogger;
  },
};
