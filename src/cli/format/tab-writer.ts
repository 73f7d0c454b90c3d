/**
 * Column alignment like Go's text/tabwriter as docker configures it (minwidth 10, padding 3,
 * space padding): cells end with a tab; the text after a line's last tab is not aligned. Column
 * widths are computed per block of consecutive lines that share the column, as Go does.
 */
export function alignColumns(text: string, options: { minWidth?: number; padding?: number } = {}): string {
  const minWidth = options.minWidth ?? 10;
  const padding = options.padding ?? 3;
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[][] = lines.map((cells) => new Array<number>(Math.max(cells.length - 1, 0)).fill(0));
  // For column c, a block is a maximal run of lines that have a terminated cell c.
  const maxCols = Math.max(0, ...lines.map((c) => c.length - 1));
  for (let c = 0; c < maxCols; c++) {
    let start = 0;
    while (start < lines.length) {
      if ((lines[start] as string[]).length - 1 <= c) {
        start++;
        continue;
      }
      let end = start;
      let width = 0;
      while (end < lines.length && (lines[end] as string[]).length - 1 > c) {
        width = Math.max(width, displayWidth((lines[end] as string[])[c] as string) + padding);
        end++;
      }
      width = Math.max(width, minWidth);
      for (let i = start; i < end; i++) (widths[i] as number[])[c] = width;
      start = end;
    }
  }
  const out = lines.map((cells, i) => {
    let s = '';
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c] as string;
      if (c < cells.length - 1) s += cell + ' '.repeat(Math.max(((widths[i] as number[])[c] as number) - displayWidth(cell), 0));
      else s += cell;
    }
    return s;
  });
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

/** Printed width of a string: code points, wide CJK counted twice, combining marks as zero. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x300 && cp <= 0x36f) continue;
    w += cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0x1f300 && cp <= 0x1faff)) ? 2 : 1;
  }
  return w;
}
