/**
 * tar-stream decodes PAX records as UTF-8 text, which mangles binary xattr values
 * (security.capability, for one). PaxXattrScanner follows the raw tar byte stream alongside the
 * extractor, reads the PAX headers itself, and keeps each entry's `SCHILY.xattr.*` values as
 * bytes, keyed by the entry's 1-based position in the archive (the order tar-stream emits them).
 */
const BLOCK = 512;
const XATTR = 'SCHILY.xattr.';

function parseSize(h: Buffer): number {
  const field = h.subarray(124, 136);
  if (field[0]! & 0x80) {
    // base-256 (GNU): big-endian, first byte's top bit set
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return v;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

/** Parses PAX records ("%d %s=%s\n"), keeping xattr keys with their raw byte values. */
export function parsePaxXattrs(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(data.toString('latin1', off, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || off + len > data.length) break;
    const rec = data.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) {
      const key = rec.toString('utf8', 0, eq);
      if (key.startsWith(XATTR)) out.set(key.slice(XATTR.length), Buffer.from(rec.subarray(eq + 1)));
    }
    off += len;
  }
  return out;
}

export class PaxXattrScanner {
  private header: Buffer = Buffer.alloc(0);
  private skip = 0;
  private capture: Buffer[] | undefined;
  private captureLeft = 0;
  private captureKind: 'x' | 'g' = 'x';
  private pending: Map<string, Buffer> | undefined;
  private global: Map<string, Buffer> | undefined;
  private entry = 0;
  private readonly byEntry = new Map<number, Map<string, Buffer>>();

  /** Feeds the next bytes of the uncompressed tar. */
  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        if (this.capture && this.captureLeft > 0) {
          const take = Math.min(n, this.captureLeft);
          this.capture.push(chunk.subarray(off, off + take));
          this.captureLeft -= take;
          if (this.captureLeft === 0) this.finishCapture();
        }
        this.skip -= n;
        off += n;
        continue;
      }
      const need = BLOCK - this.header.length;
      const take = Math.min(need, chunk.length - off);
      this.header = this.header.length === 0 && take === BLOCK ? chunk.subarray(off, off + BLOCK) : Buffer.concat([this.header, chunk.subarray(off, off + take)]);
      off += take;
      if (this.header.length < BLOCK) continue;
      const h = this.header;
      this.header = Buffer.alloc(0);
      this.onHeader(h);
    }
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) return; // end-of-archive blocks
    const type = String.fromCharCode(h[156]!);
    const size = parseSize(h);
    this.skip = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'g') {
      this.capture = [];
      this.captureLeft = size;
      this.captureKind = type;
      if (size === 0) this.finishCapture();
      return;
    }
    if (type === 'L' || type === 'K') return; // GNU long name / link: metadata, not an entry
    this.entry++;
    const merged = this.global || this.pending ? new Map([...(this.global ?? []), ...(this.pending ?? [])]) : undefined;
    if (merged && merged.size > 0) this.byEntry.set(this.entry, merged);
    this.pending = undefined;
  }

  private finishCapture(): void {
    const data = Buffer.concat(this.capture ?? []);
    this.capture = undefined;
    const records = parsePaxXattrs(data);
    if (this.captureKind === 'g') this.global = records;
    else this.pending = records;
  }

  /** The raw xattrs of entry `n` (1-based), removed from the scanner. */
  take(n: number): Map<string, Buffer> | undefined {
    const v = this.byEntry.get(n);
    this.byEntry.delete(n);
    return v;
  }
}
