import type { AuthConfig } from '../api/types/index.ts';

/** The `X-Registry-Auth` header value: base64url of the JSON auth config, as docker sends it. */
export function encodeRegistryAuth(config: AuthConfig): string {
  return Buffer.from(JSON.stringify(config), 'utf8').toString('base64url');
}

/** Decodes an `X-Registry-Auth` header (base64 or base64url). */
export function decodeRegistryAuth(header: string): AuthConfig {
  const text = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return JSON.parse(text) as AuthConfig;
}
