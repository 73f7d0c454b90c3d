/* stage 1: namespaces. Joined namespaces (paths) come first, user first among them; then one
 * unshare(2) for every new namespace except cgroup (unshared by stage 2 once the monitor's
 * parent has placed the process in its cgroup). */
#include "stages.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
  const char *name;
  int flag;
} ns_types[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS}, {"pid", CLONE_NEWPID}, {"net", CLONE_NEWNET},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static int ns_flag(const char *name) {
  for (size_t i = 0; i < sizeof ns_types / sizeof ns_types[0]; i++)
    if (strcmp(ns_types[i].name, name) == 0) return ns_types[i].flag;
  return 0;
}

int cgroup_ns_fd = -1;

static void die(int sync, struct shim_error *err) {
  msg_sendf(sync, "error %s", err->msg);
  _exit(1);
}

/* Opens every namespace path first (a joined mount namespace would change what later paths
 * mean), then joins the user namespace, then the others. Cgroup namespaces are left to stage 2. */
static int join_ns(const struct plan *p, struct shim_error *err) {
  int fds[16], flags[16], n = 0;
  for (int i = 0; i < p->n && n < 16; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "ns") != 0 || r->n < 3 || r->f[2][0] == '\0') continue;
    int flag = ns_flag(r->f[1]);
    if (!flag) return fail(err, 0, "unknown namespace type \"%s\"", r->f[1]);
    int fd = open(r->f[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errno, "open %s namespace \"%s\"", r->f[1], r->f[2]);
    if (flag == CLONE_NEWCGROUP) {
      /* joined by stage 2 after cgroup placement */
      cgroup_ns_fd = fd;
      continue;
    }
    fds[n] = fd;
    flags[n++] = flag;
  }
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < n; i++) {
      if ((pass == 0) != (flags[i] == CLONE_NEWUSER)) continue;
      if (setns(fds[i], flags[i]) < 0) return fail(err, errno, "join namespace 0x%x", flags[i]);
      close(fds[i]);
    }
  }
  return 0;
}

int new_ns_flags(const struct plan *p) {
  int flags = 0;
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "ns") == 0 && r->n >= 3 && r->f[2][0] == '\0') flags |= ns_flag(r->f[1]);
  }
  return flags & ~CLONE_NEWCGROUP;
}

int has_joined_ns(const struct plan *p) {
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "ns") == 0 && r->n >= 3 && r->f[2][0] != '\0') return 1;
  }
  return 0;
}

void stage1_direct(const struct plan *p, int sync, struct stdio_fds *io, int flags) {
  struct shim_error err = {0};
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (flags & CLONE_NEWUSER) {
    char buf[64];
    ssize_t n = msg_recv(sync, buf, sizeof buf, NULL);
    if (n <= 0 || strcmp(buf, "ok") != 0) _exit(1);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      fail(&err, errno, "become root in the user namespace (is uid 0 mapped?)");
      die(sync, &err);
    }
  }
  stage2(p, sync, io);
}

void stage1(const struct plan *p, int sync, struct stdio_fds *io) {
  struct shim_error err = {0};
  (void)io;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (join_ns(p, &err) < 0) die(sync, &err);
  int flags = 0;
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "ns") == 0 && r->n >= 3 && r->f[2][0] == '\0') flags |= ns_flag(r->f[1]);
  }
  flags &= ~CLONE_NEWCGROUP;
  if (flags && unshare(flags) < 0) {
    fail(&err, errno, "unshare namespaces 0x%x", flags);
    die(sync, &err);
  }
  if (flags & CLONE_NEWUSER) {
    char buf[256];
    msg_send(sync, "maps", -1);
    ssize_t n = msg_recv(sync, buf, sizeof buf, NULL);
    if (n <= 0 || strcmp(buf, "ok") != 0) _exit(1);
  }
  if (flags & CLONE_NEWUSER || plan_has(p, "userns-root")) {
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      fail(&err, errno, "become root in the user namespace (is uid 0 mapped?)");
      die(sync, &err);
    }
  }
  pid_t pid = fork();
  if (pid < 0) {
    fail(&err, errno, "fork container process");
    die(sync, &err);
  }
  if (pid == 0) stage2(p, sync, io);
  msg_sendf(sync, "pid %d", (int)pid);
  _exit(0);
}
