/*
 * berth-shim: carries out a launch plan and then stays as the container's monitor.
 *
 *   berth-shim PLAN-FILE          (fd 3: a stream socket to the runtime that spawned it)
 *
 * The full protocol is in PROTOCOL.md beside this file. In short:
 *
 * 1. The shim runs from a sealed memfd (CVE-2019-5736; re-executing itself into one when the
 *    runtime did not spawn it from one), starts a session and becomes the monitor (a child
 *    subreaper). It stays the runtime's child, which reaps it when it exits; a runtime that exits
 *    first (the CLI) leaves it to init, so the monitor outlives the runtime.
 * 2. Runtime <-> monitor on fd 3, text lines:
 *      shim → "pid <host pid>"   the container process exists in its namespaces (id maps written),
 *                                blocked before any mount; the runtime now places it in its cgroups
 *                                and runs createRuntime/prestart hooks
 *      rt   → "go"               carry on; first the monitor writes the pid to the plan's
 *                                `cgroup-join` files (a runtime that lists them and has no hooks
 *                                sends "go" without waiting for "pid")
 *      shim → "warn <text>"      (any number) something refused but tolerated (oom_score_adj)
 *      shim → "ok <pid>"         the container is created (or, with `autostart`, already exec'd)
 *      shim → "error <message>"  setup failed; the process is killed and the monitor exits
 * 3. After "ok" the monitor serves, in the state directory:
 *      control socket (plan `control`): lines "start", "wait", "kill <signo>", "resize <rows> <cols>",
 *        "close-stdin", "pid"; replies "ok" / "error <msg>" / "<pid>" / for wait, when the
 *        container exits: "exit {json}".
 *      attach socket (plan `attach`): output as docker stdcopy frames (8-byte header: stream 1|2,
 *        0,0,0, big-endian length), bytes written by the client go to the container's stdin.
 *      exit file (plan `exit-file`): {"pid","exitCode","signal","started","time"} written atomically.
 *      pid file (plan `pid-file`), json-file log (plan `log PATH MAX-SIZE MAX-FILES`).
 */
#include "error.h"
#include "monitor.h"
#include "plan.h"
#include "reexec.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int report(const char *msg) {
  char line[1200];
  int n = snprintf(line, sizeof line, "error %s\n", msg);
  if (fcntl(3, F_GETFD) >= 0 && write(3, line, (size_t)n) == n) return 1;
  fprintf(stderr, "berth-shim: %s\n", msg);
  return 1;
}

int main(int argc, char **argv) {
  struct shim_error err = {0};
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: berth-shim PLAN-FILE (with the runtime's sync socket on fd 3)\n");
    return 2;
  }
  if (fcntl(3, F_GETFD) < 0) {
    fprintf(stderr, "berth-shim: fd 3 must be the runtime's sync socket\n");
    return 2;
  }
  if (ensure_sealed_self(argv, &err) < 0) return report(err.msg);
  fcntl(3, F_SETFD, FD_CLOEXEC);
  struct plan plan;
  if (plan_load(&plan, argv[1], &err) < 0) return report(err.msg);
  /* The monitor leads a session of its own, so a signal to the runtime's process group or
   * terminal does not reach it. Only a shim started as a process group leader (a shell job)
   * cannot start a session itself: it forks once first. No fork otherwise: a fork costs a
   * millisecond on some virtual machines, on the path of every container start. */
  if (setsid() < 0) {
    pid_t pid = fork();
    if (pid < 0) return report("fork monitor");
    if (pid > 0) _exit(0);
    setsid();
  }
  /* never pin the runtime's working directory (a mount someone may want to unmount) */
  if (chdir("/") < 0) return report("chdir /");
  return monitor_run(&plan, 3);
}
