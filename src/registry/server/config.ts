import { readFileSync } from 'node:fs';
import { invalidArgument, messageOf } from '../../lib/index.ts';

/**
 * berth-registry's configuration file (JSON). Flags override the file.
 *
 *   { "addr": "127.0.0.1:5000", "root": "/var/lib/berth-registry",
 *     "htpasswd": "/etc/berth-registry/htpasswd", "realm": "berth-registry",
 *     "tls": { "cert": "cert.pem", "key": "key.pem" },
 *     "readOnly": false, "deleteEnabled": true,
 *     "gc": { "intervalSeconds": 3600, "gracePeriodSeconds": 3600 },
 *     "logLevel": "info" }
 */
export interface RegistryConfig {
  addr: string;
  root: string;
  htpasswd?: string;
  realm?: string;
  tls?: { cert: string; key: string };
  readOnly: boolean;
  deleteEnabled: boolean;
  gc?: { intervalSeconds: number; gracePeriodSeconds: number };
  logLevel?: string;
}

export const defaultConfig: RegistryConfig = {
  addr: '127.0.0.1:5000',
  root: '/var/lib/berth-registry',
  readOnly: false,
  deleteEnabled: true,
};

export function loadConfig(path: string | undefined): RegistryConfig {
  if (!path) return { ...defaultConfig };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw invalidArgument(`read config ${JSON.stringify(path)}: ${messageOf(err)}`, err);
  }
  if (typeof raw !== 'object' || raw === null) throw invalidArgument(`config ${JSON.stringify(path)}: not a JSON object`);
  const c = raw as Partial<RegistryConfig>;
  const out: RegistryConfig = { ...defaultConfig };
  if (typeof c.addr === 'string') out.addr = c.addr;
  if (typeof c.root === 'string') out.root = c.root;
  if (typeof c.htpasswd === 'string') out.htpasswd = c.htpasswd;
  if (typeof c.realm === 'string') out.realm = c.realm;
  if (c.tls && typeof c.tls.cert === 'string' && typeof c.tls.key === 'string') out.tls = { cert: c.tls.cert, key: c.tls.key };
  if (typeof c.readOnly === 'boolean') out.readOnly = c.readOnly;
  if (typeof c.deleteEnabled === 'boolean') out.deleteEnabled = c.deleteEnabled;
  if (c.gc && typeof c.gc.intervalSeconds === 'number') out.gc = { intervalSeconds: c.gc.intervalSeconds, gracePeriodSeconds: c.gc.gracePeriodSeconds ?? 3600 };
  if (typeof c.logLevel === 'string') out.logLevel = c.logLevel;
  return out;
}
