export { RegistryServer, type RegistryServerOptions } from './registry-server.ts';
export { Htpasswd, htpasswdLine } from './htpasswd.ts';
export { loadConfig, defaultConfig, type RegistryConfig } from './config.ts';
export * from './storage/index.ts';
