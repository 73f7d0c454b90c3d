export { ContainerService, exitCodeForStartError, parseSize } from './service.ts';
export type { ContainerServiceOptions, CreateOptions, WaitCondition, WaitResult } from './service.ts';
export { ExecManager } from './exec-manager.ts';
export type { ExecConfig, ExecRecord } from './exec-manager.ts';
export {
  containerLogs,
  prepareAttach,
  attachContainer,
  top,
  containerChanges,
  exportContainer,
  statPath,
  getArchive,
  putArchive,
  goFileMode,
  resolveInRoot,
} from './container-io.ts';
export type { LogsOptions, AttachOptions, PathStat } from './container-io.ts';
export { RuntimeTasks, connectAttach, controlRequest } from './runtime-tasks.ts';
export type { RuntimeCgroupStats } from './runtime-tasks.ts';
export { ContainerStore } from './store.ts';
export { defaultContainerConfig, defaultHostConfig } from './defaults.ts';
export { mergeImageConfig, mergeEnv, commandOf, defaultPath } from './merge-config.ts';
export type { ImageRuntimeConfig } from './merge-config.ts';
export { buildSpec, computeCapabilities, resourcesOf, parseSecurityOpt, initPathInContainer } from './oci-spec.ts';
export type { BlkioSupport, BuildSpecOptions, ResolvedUser } from './oci-spec.ts';
export { normalizeName, generateName, isValidName } from './names.ts';
export { humanStatus, humanDuration, isRunning, zeroTime, initialState } from './state.ts';
export type { ContainerState, Status, Health, HealthStatus, HealthLogEntry } from './state.ts';
export { parseRestartPolicy, RestartManager } from './restart-policy.ts';
export { readLogs, parseLogLine, logTimeSeconds } from './log-reader.ts';
export type { LogEntry, ReadLogsOptions } from './log-reader.ts';
export { parseDetachKeys, defaultDetachKeys } from './attach.ts';
export { parseBind } from './mounts.ts';
export type * from './types.ts';
export type * from './ports.ts';
export { resolveUser, resolveUserFrom } from './user.ts';
