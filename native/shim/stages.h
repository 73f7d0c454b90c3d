/* The two container-side stages forked by the monitor (see main.c for the whole protocol). */
#ifndef BERTH_STAGES_H
#define BERTH_STAGES_H
#include "plan.h"

/* Standard fds the container process gets (0, 1, 2). */
struct stdio_fds {
  int fd[3];
};

/* stage 1: joins namespaces by path, unshares the new ones, has the monitor write id maps,
 * forks stage 2 (which becomes pid 1 of a new pid namespace) and exits. Never returns. */
void stage1(const struct plan *p, int sync, struct stdio_fds *io) __attribute__((noreturn));

/* The new namespaces of the plan (but cgroup), and whether any is joined by path. */
int new_ns_flags(const struct plan *p);
int has_joined_ns(const struct plan *p);
/* Without joined namespaces the monitor clones straight into the new ones and the child runs
 * this: it waits for the id maps (the monitor writes them unasked) and becomes stage 2. */
void stage1_direct(const struct plan *p, int sync, struct stdio_fds *io, int flags) __attribute__((noreturn));

/* `preserve-fds N`: the runtime spawned the shim with N extra fds at PRESERVED_FDS_FROM.., which
 * the container process gets as 3..3+N-1 (runc's --preserve-fds). */
#define PRESERVED_FDS_FROM 4
int preserved_fds(const struct plan *p);

/* A joined cgroup namespace, opened by stage 1 while host paths still resolve. */
extern int cgroup_ns_fd;

/* stage 2, in rootfs.c and process.c. */
void stage2(const struct plan *p, int sync, struct stdio_fds *io) __attribute__((noreturn));
int setup_rootfs(const struct plan *p, int sync, struct shim_error *err);
int finish_rootfs(const struct plan *p, struct shim_error *err);
int run_hooks(const struct plan *p, const char *kind, struct shim_error *err);
/* The monitor, before it forks the container: the detached idmapped mounts of the plan's
 * `mount` records with id maps; stage 2 moves them into place; the monitor closes its copies. */
int prepare_idmapped_mounts(const struct plan *p, struct shim_error *err);
void close_idmapped_mounts(void);

#endif
