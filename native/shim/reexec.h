/* CVE-2019-5736: the shim never runs from its file on disk. On start it copies itself into a
 * sealed memfd and re-executes from it, so a container that reaches /proc/<pid>/exe of a shim
 * process finds a sealed, unwritable anonymous copy, never bin/berth-shim. */
#ifndef BERTH_REEXEC_H
#define BERTH_REEXEC_H
#include "error.h"
/* Returns 0 when already running sealed; otherwise re-executes (returns only on failure). */
int ensure_sealed_self(char **argv, struct shim_error *err);
#endif
