import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { invalidArgument, isNotFound, messageOf, unavailable, writeFileAtomic } from '../../lib/index.ts';

/** Credentials for one registry: a username and password, or an identity (refresh) token. */
export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
  /** A registry token to use as-is (X-Registry-Auth's registrytoken). */
  registryToken?: string;
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

/** The key docker uses for Docker Hub in config.json. */
export const dockerHubAuthKey = 'https://index.docker.io/v1/';

/** `~/.docker` or $DOCKER_CONFIG. */
export function defaultDockerConfigDir(): string {
  return process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker');
}

function authKey(host: string): string {
  return host === 'docker.io' || host === 'registry-1.docker.io' || host === 'index.docker.io' ? dockerHubAuthKey : host;
}

/**
 * Reads and writes credentials in a docker config.json (`auths` with base64 `user:pass`, or a
 * credential helper: `credHelpers[host]`, else `credsStore`, run as docker-credential-<name>).
 */
export class DockerConfig {
  readonly path: string;

  constructor(dir: string = defaultDockerConfigDir()) {
    this.path = join(dir, 'config.json');
  }

  private async load(): Promise<ConfigFile> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as ConfigFile;
    } catch (err) {
      if (isNotFound(err)) return {};
      throw invalidArgument(`read ${JSON.stringify(this.path)}: ${messageOf(err)}`, err);
    }
  }

  /** Credentials for `host` (a registry domain such as docker.io or 127.0.0.1:5000), if any. */
  async get(host: string): Promise<Credentials | undefined> {
    const cfg = await this.load();
    const key = authKey(host);
    const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[host] ?? cfg.credsStore;
    if (helper) {
      const out = await runHelper(helper, 'get', key).catch((err: unknown) => {
        if (/credentials not found/i.test(messageOf(err))) return undefined;
        throw err;
      });
      if (out) {
        const r = JSON.parse(out) as { Username?: string; Secret?: string };
        if (r.Username === '<token>') return { identityToken: r.Secret ?? '' };
        return { username: r.Username ?? '', password: r.Secret ?? '' };
      }
      if (cfg.credHelpers?.[key]) return undefined;
    }
    const candidates = [key, host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
    for (const k of candidates) {
      const a = cfg.auths?.[k];
      if (!a) continue;
      const c: Credentials = {};
      if (a.auth) {
        const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i < 0) throw invalidArgument(`${this.path}: invalid auth for ${JSON.stringify(k)}`);
        c.username = decoded.slice(0, i);
        c.password = decoded.slice(i + 1);
      } else if (a.username !== undefined) {
        c.username = a.username;
        c.password = a.password ?? '';
      }
      if (a.identitytoken) c.identityToken = a.identitytoken;
      if (c.username !== undefined || c.identityToken) return c;
    }
    return undefined;
  }

  /** Stores credentials (in the helper when one is configured, else base64 in auths). */
  async store(host: string, creds: { username: string; password: string }): Promise<void> {
    const cfg = await this.load();
    const key = authKey(host);
    const helper = cfg.credHelpers?.[key] ?? cfg.credsStore;
    if (helper) {
      await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: creds.username, Secret: creds.password }));
      cfg.auths = { ...cfg.auths, [key]: {} };
    } else {
      cfg.auths = { ...cfg.auths, [key]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } };
    }
    await writeFileAtomic(this.path, JSON.stringify(cfg, null, '\t') + '\n', 0o600);
  }

  /** Removes stored credentials; returns whether any were there. */
  async erase(host: string): Promise<boolean> {
    const cfg = await this.load();
    const key = authKey(host);
    const helper = cfg.credHelpers?.[key] ?? cfg.credsStore;
    let found = false;
    if (helper) found = await runHelper(helper, 'erase', key).then(() => true, () => false);
    if (cfg.auths?.[key]) {
      delete cfg.auths[key];
      found = true;
      await writeFileAtomic(this.path, JSON.stringify(cfg, null, '\t') + '\n', 0o600);
    }
    return found;
  }
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin; returns stdout. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const bin = `docker-credential-${helper}`;
    const p = spawn(bin, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let errOut = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
    p.on('error', (err) => reject(unavailable(`run ${bin}: ${messageOf(err)}`, err)));
    p.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(unavailable(`${bin} ${action}: ${(out || errOut).trim() || `exit status ${code}`}`));
    });
    p.stdin.end(input);
  });
}

/**
 * Decodes an X-Registry-Auth header (base64url JSON: username, password, identitytoken,
 * registrytoken, serveraddress) as the Engine API sends it.
 */
export function decodeRegistryAuth(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const c: Credentials = {};
  if (typeof v['username'] === 'string' && v['username']) c.username = v['username'];
  if (typeof v['password'] === 'string') c.password = v['password'];
  if (typeof v['identitytoken'] === 'string' && v['identitytoken']) c.identityToken = v['identitytoken'];
  if (typeof v['registrytoken'] === 'string' && v['registrytoken']) c.registryToken = v['registrytoken'];
  return Object.keys(c).length > 0 ? c : undefined;
}
