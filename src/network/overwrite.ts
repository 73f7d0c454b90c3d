import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces a small file's content with a single write(2) at offset 0 into the existing file
 * (created the first time), padded with spaces to the old length so a kill between the write and
 * the truncation leaves valid JSON; then truncates. No new inode, no rename: on ext4 both make
 * the kernel allocate and write the blocks at once (auto_da_alloc), about a millisecond each.
 */
export function overwriteInPlace(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'w');
  }
  try {
    const data = Buffer.from(text);
    const old = fstatSync(fd).size;
    const buf = old > data.length ? Buffer.concat([data, Buffer.alloc(old - data.length, 0x20)]) : data;
    writeSync(fd, buf, 0, buf.length, 0);
    if (old > data.length) ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}
