/* stage 2, process: waits for "go", then cgroup namespace, oom_score_adj, rlimits, stdio, the
 * rootfs (rootfs.c), terminal, user and capabilities, cwd; reports "ready"; waits for "start";
 * startContainer hooks, seccomp, closes every other fd and execs. */
#include "stages.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static char *hook_state;
static size_t hook_state_len;

static void load_hook_state(const struct plan *p) {
  const char *path = plan_str(p, "hook-state", 1);
  if (!path) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    hook_state = malloc((size_t)st.st_size);
    if (hook_state) {
      ssize_t n = read(fd, hook_state, (size_t)st.st_size);
      hook_state_len = n > 0 ? (size_t)n : 0;
    }
  }
  close(fd);
}

/* hook <kind> <timeout-seconds> <path> <argc> <args...> <env...> */
int run_hooks(const struct plan *p, const char *kind, struct shim_error *err) {
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "hook") != 0 || r->n < 5 || strcmp(r->f[1], kind) != 0) continue;
    int timeout = atoi(r->f[2]);
    const char *path = r->f[3];
    int argc = atoi(r->f[4]);
    if (argc < 0 || 5 + argc > r->n) return fail(err, 0, "bad hook record");
    char **argv = calloc((size_t)argc + 2, sizeof(char *));
    char **envp = calloc((size_t)(r->n - 5 - argc) + 1, sizeof(char *));
    if (!argv || !envp) return fail(err, ENOMEM, "%s hook", kind);
    for (int a = 0; a < argc; a++) argv[a] = r->f[5 + a];
    if (argc == 0) argv[0] = (char *)path;
    for (int e = 5 + argc; e < r->n; e++) envp[e - 5 - argc] = r->f[e];
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) return fail(err, errno, "%s hook \"%s\": pipe", kind, path);
    pid_t pid = fork();
    if (pid < 0) return fail(err, errno, "%s hook \"%s\": fork", kind, path);
    if (pid == 0) {
      dup2(pfd[0], 0);
      execve(path, argv, envp);
      _exit(127);
    }
    close(pfd[0]);
    if (hook_state_len) write_all(pfd[1], hook_state, hook_state_len);
    close(pfd[1]);
    free(argv);
    free(envp);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    for (;;) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) return fail(err, errno, "%s hook \"%s\": wait", kind, path);
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (timeout > 0 && now.tv_sec - start.tv_sec >= timeout) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return fail(err, 0, "%s hook \"%s\": timed out after %ds", kind, path, timeout);
      }
      struct timespec d = {0, 2000000};
      nanosleep(&d, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return fail(err, 0, "%s hook \"%s\": cannot execute", kind, path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return fail(err, 0, "%s hook \"%s\": exit status %d", kind, path, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return 0;
}

static int set_rlimits(const struct plan *p, struct shim_error *err) {
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "rlimit") != 0 || r->n < 4) continue;
    struct rlimit rl = {.rlim_cur = strtoull(r->f[2], NULL, 0), .rlim_max = strtoull(r->f[3], NULL, 0)};
    if (setrlimit(atoi(r->f[1]), &rl) < 0) return fail(err, errno, "set rlimit %s", r->f[1]);
  }
  return 0;
}

static int set_oom_score(const struct plan *p, int sync, struct shim_error *err) {
  const char *v = plan_str(p, "oom-score-adj", 1);
  if (!v) return 0;
  if (write_file("/proc/self/oom_score_adj", v, strlen(v), err) == 0) return 0;
  if (atoi(v) >= 0) return -1;
  /* lowering below the current value needs CAP_SYS_RESOURCE: keep the current value, warn, go on */
  char cur[32] = "0";
  int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, cur, sizeof cur - 1);
    cur[n > 0 ? n : 0] = '\0';
    cur[strcspn(cur, "\n")] = '\0';
    close(fd);
  }
  msg_sendf(sync, "warn oom_score_adj %s refused (%s); kept %s", v, err->msg, cur);
  return 0;
}

static int setup_terminal(const struct plan *p, int sync, struct shim_error *err) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return fail(err, errno, "open /dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) return fail(err, errno, "unlock pty");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return fail(err, errno, "open pty peer");
  const char *rows = plan_str(p, "console-size", 1), *cols = plan_str(p, "console-size", 2);
  if (rows && cols) {
    struct winsize ws = {.ws_row = (unsigned short)atoi(rows), .ws_col = (unsigned short)atoi(cols)};
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (msg_send(sync, "pty", master) < 0) return fail(err, errno, "send pty master");
  close(master);
  if (setsid() < 0) return fail(err, errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return fail(err, errno, "set controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) return fail(err, errno, "dup pty");
  if (slave > 2) close(slave);
  return 0;
}

static int set_user(const struct plan *p, int sync, struct shim_error *err) {
  const struct plan_rec *caps = plan_get(p, "caps");
  uint64_t set[5] = {0};
  if (caps) {
    if (caps->n < 6) return fail(err, 0, "bad caps record");
    for (int i = 0; i < 5; i++) set[i] = strtoull(caps->f[1 + i], NULL, 16);
    for (int c = 0; c < 64; c++)
      if (!(set[0] & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        return fail(err, errno, "drop capability %d from the bounding set", c);
  }
  const struct plan_rec *u = plan_get(p, "user");
  if (u) {
    if (u->n < 3) return fail(err, 0, "bad user record");
    uid_t uid = (uid_t)strtoul(u->f[1], NULL, 0);
    gid_t gid = (gid_t)strtoul(u->f[2], NULL, 0);
    const struct plan_rec *g = plan_get(p, "groups");
    int ng = g ? g->n - 1 : 0;
    gid_t groups[256];
    if (ng > 256) ng = 256;
    for (int i = 0; i < ng; i++) groups[i] = (gid_t)strtoul(g->f[1 + i], NULL, 0);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail(err, errno, "keep capabilities");
    if (setgroups((size_t)ng, groups) < 0 && !(errno == EPERM && ng == 0)) return fail(err, errno, "set additional groups");
    if (setresgid(gid, gid, gid) < 0) return fail(err, errno, "set gid %u", gid);
    if (setresuid(uid, uid, uid) < 0) return fail(err, errno, "set uid %u", uid);
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  }
  if (caps) {
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int i = 0; i < 2; i++) {
      data[i].effective = (uint32_t)(set[1] >> (32 * i));
      data[i].permitted = (uint32_t)(set[2] >> (32 * i));
      data[i].inheritable = (uint32_t)(set[3] >> (32 * i));
    }
    if (syscall(SYS_capset, &hdr, data) < 0) return fail(err, errno, "set capabilities");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int c = 0; c < 64; c++)
      if ((set[4] & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
        msg_sendf(sync, "warn raise ambient capability %d: %s", c, strerror(errno));
  }
  return 0;
}

static int load_seccomp(const struct plan *p, struct shim_error *err) {
  const struct plan_rec *r = plan_get(p, "seccomp");
  if (!r) return 0;
  if (r->n < 3) return fail(err, 0, "bad seccomp record");
  unsigned char *bytes;
  size_t len;
  if (hex_decode(r->f[2], &bytes, &len, err) < 0) return -1;
  if (len == 0 || len % sizeof(struct sock_filter)) return fail(err, 0, "seccomp program has %zu bytes", len);
  struct sock_fprog prog = {.len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)bytes};
  unsigned flags = (unsigned)strtoul(r->f[1], NULL, 0);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0) return fail(err, errno, "load seccomp filter");
  free(bytes);
  return 0;
}

static void exec_process(const struct plan *p, int sync) __attribute__((noreturn));
static void exec_process(const struct plan *p, int sync) {
  const struct plan_rec *a = plan_get(p, "args");
  if (!a || a->n < 2) {
    msg_send(sync, "error no process args", -1);
    _exit(127);
  }
  int ne = 0;
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->recs[i].f[0], "env") == 0) ne++;
  char **envp = calloc((size_t)ne + 1, sizeof(char *));
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  ne = 0;
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->recs[i].f[0], "env") == 0 && p->recs[i].n >= 2) {
      envp[ne++] = p->recs[i].f[1];
      if (strncmp(p->recs[i].f[1], "PATH=", 5) == 0) path = p->recs[i].f[1] + 5;
    }
  char **argv = a->f + 1;
  const char *file = argv[0];
  int err = ENOENT;
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    err = errno;
  } else {
    char buf[4200];
    const char *s = path;
    while (*s) {
      const char *e = strchr(s, ':');
      size_t l = e ? (size_t)(e - s) : strlen(s);
      snprintf(buf, sizeof buf, "%.*s/%s", (int)l, l ? s : ".", file);
      execve(buf, argv, envp);
      if (errno != ENOENT && errno != ENOTDIR) err = errno;
      if (!e) break;
      s = e + 1;
    }
  }
  char ebuf[128];
  const char *m = strerror_r(err, ebuf, sizeof ebuf);
  msg_sendf(sync, "error exec \"%s\": %c%s", file, m[0] >= 'A' && m[0] <= 'Z' ? m[0] + 32 : m[0], m + 1);
  _exit(err == ENOENT ? 127 : 126);
}

int preserved_fds(const struct plan *p) {
  const char *n = plan_str(p, "preserve-fds", 1);
  int v = n ? atoi(n) : 0;
  return v > 0 && v < 65536 ? v : 0;
}

static void die(int sync, struct shim_error *err) {
  msg_sendf(sync, "error %s", err->msg);
  _exit(1);
}

void stage2(const struct plan *p, int sync, struct stdio_fds *io) {
  struct shim_error err = {0};
  char buf[256];
  ssize_t n = msg_recv(sync, buf, sizeof buf, NULL);
  if (n <= 0 || strcmp(buf, "go") != 0) _exit(1);
  load_hook_state(p);
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "ns") != 0 || r->n < 3 || strcmp(r->f[1], "cgroup") != 0) continue;
    if (r->f[2][0] == '\0') {
      if (unshare(CLONE_NEWCGROUP) < 0) {
        fail(&err, errno, "unshare cgroup namespace");
        die(sync, &err);
      }
    } else {
      if (cgroup_ns_fd < 0 || setns(cgroup_ns_fd, CLONE_NEWCGROUP) < 0) {
        fail(&err, cgroup_ns_fd < 0 ? EBADF : errno, "join cgroup namespace \"%s\"", r->f[2]);
        die(sync, &err);
      }
      close(cgroup_ns_fd);
    }
  }
  if (set_oom_score(p, sync, &err) < 0 || set_rlimits(p, &err) < 0) die(sync, &err);
  for (int i = 0; i < 3; i++) {
    if (io->fd[i] == i) fcntl(i, F_SETFD, 0);
    else if (dup2(io->fd[i], i) < 0) {
      fail(&err, errno, "set up stdio");
      die(sync, &err);
    }
  }
  if (setup_rootfs(p, sync, &err) < 0 || finish_rootfs(p, &err) < 0) die(sync, &err);
  if (plan_has(p, "terminal")) {
    if (setup_terminal(p, sync, &err) < 0) die(sync, &err);
  } else {
    setsid();
  }
  /* no fd of the host survives past this point but stdio, the preserved fds (moved down to
   * 3..3+N-1, ascending so no source is overwritten before it is copied) and the sync socket */
  int preserve = preserved_fds(p);
  for (int i = 0; i < preserve; i++) {
    if (dup2(PRESERVED_FDS_FROM + i, 3 + i) < 0) {
      fail(&err, errno, "preserve fd %d", 3 + i);
      die(sync, &err);
    }
  }
  int keep = 3 + preserve;
  if (sync < keep) {
    fail(&err, EBADF, "preserve fds: sync socket %d among them", sync);
    die(sync, &err);
  }
  if (sync > keep) syscall(SYS_close_range, keep, sync - 1, 0);
  syscall(SYS_close_range, sync + 1, ~0U, 0);
  int nnp = plan_has(p, "nnp");
  if (!nnp && load_seccomp(p, &err) < 0) die(sync, &err);
  if (set_user(p, sync, &err) < 0) die(sync, &err);
  const char *cwd = plan_str(p, "cwd", 1);
  if (cwd) {
    if (chdir(cwd) < 0) {
      fail(&err, errno, "chdir to cwd \"%s\"", cwd);
      die(sync, &err);
    }
    char here[4200];
    if (!getcwd(here, sizeof here) || here[0] != '/') {
      fail(&err, errno ? errno : ENOENT, "cwd \"%s\" is outside the container root", cwd);
      die(sync, &err);
    }
  }
  msg_send(sync, "ready", -1);
  if (!plan_has(p, "autostart")) {
    n = msg_recv(sync, buf, sizeof buf, NULL);
    if (n <= 0 || strcmp(buf, "start") != 0) _exit(1);
  }
  if (run_hooks(p, "startContainer", &err) < 0) die(sync, &err);
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    fail(&err, errno, "set no_new_privs");
    die(sync, &err);
  }
  if (nnp && load_seccomp(p, &err) < 0) die(sync, &err);
  const char *um = plan_str(p, "umask", 1);
  if (um) umask((mode_t)strtoul(um, NULL, 8));
  syscall(SYS_close_range, keep, ~0U, CLOSE_RANGE_CLOEXEC);
  exec_process(p, sync);
}
