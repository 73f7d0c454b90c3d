import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { invalidArgument } from '../../lib/index.ts';

/**
 * Users from an htpasswd file (`user:$2y$...` lines, bcrypt only, as distribution accepts).
 * Successful checks are remembered by a hash of the password so bcrypt runs once per client.
 */
export class Htpasswd {
  private readonly users = new Map<string, string>();
  private readonly verified = new Set<string>();

  constructor(text: string) {
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const at = line.indexOf(':');
      const hash = line.slice(at + 1);
      if (at <= 0 || !/^\$2[aby]\$/.test(hash)) throw invalidArgument(`htpasswd line ${i + 1}: only bcrypt entries are supported`);
      this.users.set(line.slice(0, at), hash.replace(/^\$2y\$/, '$2b$'));
    }
  }

  static fromFile(path: string): Htpasswd {
    return new Htpasswd(readFileSync(path, 'utf8'));
  }

  /** Whether `user`/`password` match an entry. */
  async check(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    if (!hash) return false;
    const key = `${user}\0${createHash('sha256').update(password).digest('hex')}\0${hash}`;
    if (this.verified.has(key)) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) this.verified.add(key);
    return ok;
  }
}

/** An htpasswd line for `user` (bcrypt, cost 10); for tests and setup scripts. */
export function htpasswdLine(user: string, password: string, cost = 10): string {
  return `${user}:${bcrypt.hashSync(password, cost)}`;
}
