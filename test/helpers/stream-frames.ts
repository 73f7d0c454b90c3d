/**
 * The payloads of docker's multiplexed attach stream (8-byte headers `[type, 0, 0, 0, size]`)
 * joined as text, stdout and stderr alike. A last frame cut short gives what has arrived of it.
 */
export function demuxText(all: Buffer): string {
  let s = '';
  for (let o = 0; o + 8 <= all.length; ) {
    const n = all.readUInt32BE(o + 4);
    s += all.subarray(o + 8, o + 8 + n).toString();
    o += 8 + n;
  }
  return s;
}
