/**
 * Docker's human units (github.com/docker/go-units): durations as "About a minute", sizes in
 * decimal units with three significant digits ("1.23MB"), binary units for memory ("1.5GiB").
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3600000 / 24 / 365)} years`;
}

/** "5 minutes ago" from a unix timestamp in seconds. */
export function timeAgo(unixSeconds: number, now: number = Date.now()): string {
  return humanDuration(Math.max(0, now - unixSeconds * 1000)) + ' ago';
}

const decimalUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scaled(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  let s = size;
  while (s >= base && i < units.length - 1) {
    s /= base;
    i++;
  }
  return [s, units[i] as string];
}

/** Go's %.Ng: N significant digits, trailing zeros dropped. */
function significant(n: number, digits: number): string {
  return String(Number(n.toPrecision(digits)));
}

/** Docker's HumanSizeWithPrecision(size, 3): 1234567 → "1.23MB". */
export function humanSize(bytes: number, precision = 3): string {
  const [s, unit] = scaled(bytes, 1000, decimalUnits);
  return significant(s, precision) + unit;
}

/** Docker's BytesSize: binary units with up to two decimals, 1536 → "1.5KiB". */
export function bytesSize(bytes: number): string {
  const [s, unit] = scaled(bytes, 1024, binaryUnits);
  return significant(s, 4) + unit;
}

/** Ellipsis as docker's formatter truncates: at most `max` characters, the last one "…". */
export function ellipsis(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return chars.slice(0, max - 1).join('') + '…';
}

/** The 12-character short form of an id ("sha256:" dropped). */
export function shortId(id: string): string {
  const bare = id.startsWith('sha256:') ? id.slice(7) : id;
  return bare.slice(0, 12);
}
