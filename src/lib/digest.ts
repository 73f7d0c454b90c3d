import { createHash, type Hash } from 'node:crypto';
import { invalidArgument } from './errors.ts';

/** An OCI content digest, `algorithm:hex`. Only sha256 and sha512 are accepted. */
export type Digest = `${string}:${string}`;

const digestRe = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: string): s is Digest {
  return digestRe.test(s);
}

/** Checks `s` and returns it as a Digest, or throws invalid-argument. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw invalidArgument(`invalid digest ${JSON.stringify(s)}`);
  return s;
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function digestAlgorithm(d: Digest): 'sha256' | 'sha512' {
  return d.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** A running digest over a stream of chunks, with the byte count. */
export class Digester {
  readonly algorithm: 'sha256' | 'sha512';
  private readonly hash: Hash;
  size = 0;

  constructor(algorithm: 'sha256' | 'sha512' = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }

  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}
