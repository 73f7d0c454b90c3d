import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, writeFileAtomic } from '../../lib/index.ts';
import type { AuthConfig } from '../../api/types/index.ts';

/** Docker Hub's key in `auths`, as docker writes it. */
export const dockerHubAuthKey = 'https://index.docker.io/v1/';

/** The parts of ~/.docker/config.json Berth reads and writes; unknown keys are preserved. */
export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; email?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export function configPath(dir: string): string {
  return join(dir, 'config.json');
}

export function loadConfig(dir: string): DockerConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(dir), 'utf8')) as DockerConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new BerthError('invalid-argument', `load config "${configPath(dir)}": ${(err as Error).message}`);
  }
}

export async function saveConfig(dir: string, config: DockerConfigFile): Promise<void> {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(configPath(dir), JSON.stringify(config, null, '\t') + '\n', 0o600);
}

/**
 * The registry host an image reference lives on, as docker decides it: the first path component
 * when it has a dot or a port or is "localhost"; else Docker Hub.
 */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = ref.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return first;
  return 'docker.io';
}

/** The `auths` key for a registry host ("docker.io" → Docker Hub's legacy URL). */
export function authKey(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io' ? dockerHubAuthKey : host;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin; resolves with stdout. */
export function runCredentialHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, [action], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        const text = (stdout || stderr || err.message).toString().trim();
        reject(new BerthError(/credentials not found/i.test(text) ? 'not-found' : 'internal', `credential helper "${helper}" ${action}: ${text}`));
      } else resolve(stdout.toString());
    });
    child.stdin?.end(input);
  });
}

/** The helper that holds credentials for `host`, if any. */
export function helperFor(config: DockerConfigFile, host: string): string | undefined {
  return config.credHelpers?.[host] ?? config.credHelpers?.[authKey(host)] ?? config.credsStore;
}

/** Credentials for a registry host from the config file or its credential helper. */
export async function getAuth(dir: string, host: string): Promise<AuthConfig> {
  const config = loadConfig(dir);
  const key = authKey(host);
  const helper = helperFor(config, host);
  if (helper) {
    try {
      const out = JSON.parse(await runCredentialHelper(helper, 'get', key)) as { Username?: string; Secret?: string };
      if (out.Username === '<token>') return { identitytoken: out.Secret ?? '', serveraddress: key };
      return { username: out.Username ?? '', password: out.Secret ?? '', serveraddress: key };
    } catch {
      return { serveraddress: key };
    }
  }
  const entry = config.auths?.[key] ?? config.auths?.[host] ?? config.auths?.[`https://${host}`];
  if (!entry) return { serveraddress: key };
  const out: AuthConfig = { serveraddress: key };
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    out.username = i < 0 ? text : text.slice(0, i);
    out.password = i < 0 ? '' : text.slice(i + 1);
  }
  if (entry.identitytoken) out.identitytoken = entry.identitytoken;
  return out;
}

/** Stores credentials: in the credential helper when configured, else base64 in `auths`. */
export async function storeAuth(dir: string, host: string, auth: { username: string; password: string; identitytoken?: string }): Promise<void> {
  const config = loadConfig(dir);
  const key = authKey(host);
  const helper = helperFor(config, host);
  if (helper) {
    const secret = auth.identitytoken ?? auth.password;
    const username = auth.identitytoken ? '<token>' : auth.username;
    await runCredentialHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: username, Secret: secret }));
    config.auths ??= {};
    config.auths[key] = {};
  } else {
    config.auths ??= {};
    config.auths[key] = auth.identitytoken
      ? { auth: Buffer.from(`${auth.username}:`).toString('base64'), identitytoken: auth.identitytoken }
      : { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') };
  }
  await saveConfig(dir, config);
}

/** Removes credentials for `host`; false when there were none. */
export async function eraseAuth(dir: string, host: string): Promise<boolean> {
  const config = loadConfig(dir);
  const key = authKey(host);
  const helper = helperFor(config, host);
  let found = false;
  if (helper) {
    try {
      await runCredentialHelper(helper, 'erase', key);
      found = true;
    } catch {
      // nothing stored in the helper
    }
  }
  for (const k of [key, host, `https://${host}`]) {
    if (config.auths?.[k]) {
      delete config.auths[k];
      found = true;
    }
  }
  await saveConfig(dir, config);
  return found;
}
