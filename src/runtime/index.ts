export { Runtime } from './runtime.ts';
export type {
  ContainerState,
  ContainerStatus,
  CreateOptions,
  DeleteOptions,
  ExecOptions,
  ExecResult,
  ExitStatus,
  KillOptions,
  RunOptions,
  RunResult,
  RuntimeOptions,
  StdioOptions,
} from './types.ts';
export { canStart, canKill, canDelete, canPause, canResume, canExec, assertCan } from './state-machine.ts';
export { compilePlan, compileExecPlan, encodePlan, decodePlan } from './plan.ts';
export type { PlanRecord, PlanContext } from './plan.ts';
export { runHooks } from './hooks.ts';
export * from './spec/index.ts';
export * from './linux/index.ts';
export * from './seccomp/index.ts';
export * from './cgroups/index.ts';
