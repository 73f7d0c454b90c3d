import type { Writable } from 'node:stream';
import { BerthError } from '../../lib/index.ts';
import type { JsonMessage } from '../../api/types/index.ts';
import { humanSize } from './humanize.ts';

/**
 * Renders docker's JSON progress stream like the docker CLI: on a terminal, one line per layer
 * id, redrawn in place with a bar (`[=====>     ]  12.3MB/45.6MB`); elsewhere, plain status lines
 * without the per-chunk progress. An `error` message throws.
 */
export class ProgressRenderer {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly out: Writable,
    private readonly options: { terminal: boolean; width?: number },
  ) {}

  write(m: JsonMessage): void {
    if (m.error || m.errorDetail?.message) {
      throw new BerthError('internal', m.errorDetail?.message ?? m.error ?? 'unknown error');
    }
    const hasProgress = Boolean(m.progressDetail && (m.progressDetail.current || m.progressDetail.total)) || Boolean(m.progress);
    if (!this.options.terminal) {
      if (hasProgress) return;
      this.out.write(this.line(m, false) + (m.stream !== undefined ? '' : '\n'));
      return;
    }
    if (m.id && (hasProgress || m.status)) {
      let line = this.ids.get(m.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(m.id, line);
        this.out.write('\n');
      }
      const diff = this.ids.size - line;
      this.out.write(`\x1b[${diff}A\r\x1b[2K` + this.line(m, true) + `\r\x1b[${diff}B`);
      return;
    }
    this.ids.clear();
    this.out.write('\r\x1b[2K' + this.line(m, true) + (m.stream !== undefined ? '' : '\n'));
  }

  private line(m: JsonMessage, terminal: boolean): string {
    let s = '';
    if (m.id) s += `${m.id}: `;
    if (m.from) s += `(from ${m.from}) `;
    if (m.stream !== undefined) return s + m.stream;
    s += m.status ?? '';
    if (terminal) {
      const bar = progressBar(m, this.options.width ?? 120);
      if (bar) s += ' ' + bar;
    }
    return s;
  }
}

/** The bar docker draws from progressDetail (or the daemon's preformatted `progress`). */
export function progressBar(m: JsonMessage, width: number): string {
  const d = m.progressDetail;
  if (!d || (!d.current && !d.total)) return m.progress ?? '';
  const current = d.current ?? 0;
  const total = d.total ?? 0;
  if (total <= 0) return current > 0 ? humanSize(current) : '';
  let percent = Math.floor(Math.floor((current / total) * 100) / 2);
  if (percent > 50) percent = 50;
  const box = width > 110 ? `[${'='.repeat(percent)}>${' '.repeat(Math.max(50 - percent, 0))}] ` : '';
  const numbers = current > total ? '' : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return box + numbers;
}
