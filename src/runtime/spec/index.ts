export type * from './types.ts';
export { validateSpec } from './validate.ts';
export {
  OCI_VERSION,
  defaultSpec,
  toRootless,
  dockerDefaultCapabilities,
  dockerMaskedPaths,
  dockerReadonlyPaths,
  dockerDefaultMounts,
  ociDefaultDevices,
  dockerDefaultDeviceRules,
  alwaysAllowedDeviceRules,
} from './defaults.ts';
export type { DefaultSpecOptions } from './defaults.ts';
