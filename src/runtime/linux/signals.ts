import { invalidArgument } from '../../lib/index.ts';

/** Signal numbers of x86_64 and arm64 Linux (the generic numbering). */
export const signalNumbers: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11,
  USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21,
  TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** The first real-time signal as seen by programs linked with glibc or musl (32 and 33 are reserved). */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

/**
 * A signal number from "KILL", "SIGKILL", "sigkill", "9", "SIGRTMIN+3", "RTMAX-1"; throws
 * invalid-argument for anything else or a number outside 1..64.
 */
export function parseSignal(input: string | number): number {
  const bad = () => invalidArgument(`signal ${JSON.stringify(String(input))}: invalid signal`);
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 1 || input > SIGRTMAX) throw bad();
    return input;
  }
  const s = input.trim();
  if (/^\d+$/.test(s)) return parseSignal(Number(s));
  const name = s.toUpperCase().replace(/^SIG/, '');
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const off = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1);
    const n = base + off;
    if (n < SIGRTMIN || n > SIGRTMAX) throw bad();
    return n;
  }
  const n = signalNumbers[name];
  if (n === undefined) throw bad();
  return n;
}

/** The canonical name of a signal number: 9 → "SIGKILL", 37 → "SIGRTMIN+3". */
export function signalName(n: number): string {
  if (n >= SIGRTMIN && n <= SIGRTMAX) return n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}`;
  for (const [name, num] of Object.entries(signalNumbers)) if (num === n) return `SIG${name}`;
  throw invalidArgument(`signal ${n}: invalid signal`);
}
