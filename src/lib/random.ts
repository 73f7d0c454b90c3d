import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

/**
 * `n` random bytes as hex (ids, temporary names), drawn from a pool the CSPRNG refills 4 KiB at a
 * time: one call to it per few hundred ids instead of one each, which cost tens of microseconds
 * on every API request.
 */
export function randomHex(n: number): string {
  if (n > pool.length) return randomFillSync(Buffer.allocUnsafe(n)).toString('hex');
  if (used + n > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const s = pool.toString('hex', used, used + n);
  used += n;
  return s;
}
