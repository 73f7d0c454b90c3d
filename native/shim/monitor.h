#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H
#include "plan.h"
/* Runs the container described by the plan and monitors it until it exits; `node` is the sync
 * socket to the runtime that spawned the shim. Returns the monitor's exit status. */
int monitor_run(const struct plan *p, int node);
#endif
