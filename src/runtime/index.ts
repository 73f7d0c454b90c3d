/**
 * The OCI runtime library (runc's role), used in-process by the daemon and by berth-runtime.
 *
 *   const rt = new Runtime({ root: '/run/berth/runtime', logger });
 *   await rt.create(id, { bundle, stdio: { mode: 'log', logPath, logMaxSize, logMaxFiles, openStdin } });
 *   const sock = await rt.attach(id);          // docker stdcopy frames out, stdin in
 *   await rt.start(id);
 *   const exit = await rt.wait(id);            // { exitCode, signal, exitedAt, oomKilled }
 *   await rt.delete(id);                       // or { force: true }
 *
 * Each container has its own berth-shim monitor (native/shim/PROTOCOL.md) that outlives the
 * daemon: after a restart, state/wait/kill/attach/exec work again from the files under `root`.
 * Errors are BerthErrors: not-found (unknown id), failed-precondition (wrong state),
 * invalid-argument (bad config), already-exists, permission-denied, internal.
 */
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
