/* The monitor (conmon's role): forks the container stages, relays the setup handshake to the
 * runtime, then holds the container's stdio, writes the json-file log, serves the control and
 * attach sockets, reaps the exit status into the exit file and exits after the container. */
#include "monitor.h"
#include "logfile.h"
#include "stages.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 32
enum { C_FREE, C_CTL, C_ATTACH };

struct client {
  int fd;
  int kind;
  int waiting;
  int in_closed; /* an attach client that half-closed: output only */
  size_t len;
  char buf[200];
};

static struct {
  const struct plan *p;
  int node, sp, sigfd;
  pid_t pid;
  int in, out, err, pty;
  int ctl, attach;
  int started, exited, status;
  struct client c[MAX_CLIENTS];
} m;

static void node_line(const char *fmt, const char *a, long b) {
  if (m.node < 0) return;
  char buf[1300];
  int n = a ? snprintf(buf, sizeof buf, fmt, a) : snprintf(buf, sizeof buf, fmt, b);
  if (n > 0) write_all(m.node, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void cleanup_sockets(void) {
  const char *c = plan_str(m.p, "control", 1), *a = plan_str(m.p, "attach", 1);
  if (c) unlink(c);
  if (a) unlink(a);
}

static void abort_setup(const char *msg) {
  char line[1200];
  snprintf(line, sizeof line, "error %s\n", msg);
  if (m.node >= 0) write_all(m.node, line, strlen(line));
  if (m.pid > 0) {
    kill(m.pid, SIGKILL);
    waitpid(m.pid, NULL, 0);
  }
  cleanup_sockets();
  _exit(1);
}

static int listen_unix(const char *path, struct shim_error *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return fail(err, ENAMETOOLONG, "listen \"%s\"", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(err, errno, "socket");
  unlink(path);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) {
    int e = errno;
    close(fd);
    return fail(err, e, "listen \"%s\"", path);
  }
  return fd;
}

static int send_console(const char *path, int master, struct shim_error *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return fail(err, ENAMETOOLONG, "console socket \"%s\"", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(err, errno, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int e = errno;
    close(fd);
    return fail(err, e, "connect console socket \"%s\"", path);
  }
  int rc = msg_send(fd, "/dev/ptmx", master);
  int e = errno;
  close(fd);
  if (rc < 0) return fail(err, e, "send pty to console socket \"%s\"", path);
  return 0;
}

static int write_id_maps(pid_t pid, struct shim_error *err) {
  char buf[4096], path[64];
  const char *kinds[2] = {"uidmap", "gidmap"}, *files[2] = {"uid_map", "gid_map"};
  if (plan_has(m.p, "setgroups-deny")) {
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
    if (write_file(path, "deny", 4, err) < 0) return -1;
  }
  for (int k = 0; k < 2; k++) {
    size_t o = 0;
    for (int i = 0; i < m.p->n; i++) {
      const struct plan_rec *r = &m.p->recs[i];
      if (strcmp(r->f[0], kinds[k]) == 0 && r->n >= 4 && o < sizeof buf - 100)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s %s %s\n", r->f[1], r->f[2], r->f[3]);
    }
    if (!o) continue;
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, files[k]);
    if (write_file(path, buf, o, err) < 0) return -1;
  }
  return 0;
}

/* Writes the container's pid to each cgroup.procs file of the plan (the runtime created those
 * cgroups and set their limits while the monitor started). */
static int join_cgroups(pid_t pid, struct shim_error *err) {
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%d", (int)pid);
  for (int i = 0; i < m.p->n; i++) {
    const struct plan_rec *r = &m.p->recs[i];
    if (strcmp(r->f[0], "cgroup-join") != 0 || r->n < 2) continue;
    if (write_file(r->f[1], buf, (size_t)len, err) < 0) return prefix_error(err, "join cgroup");
  }
  return 0;
}

/* Waits for stage 2 to exec (the sync socket closes on exec) or to report an error. */
static int wait_exec(char *errbuf, size_t size) {
  char buf[1200];
  for (;;) {
    ssize_t n = msg_recv(m.sp, buf, sizeof buf, NULL);
    if (n <= 0) break;
    if (strncmp(buf, "error ", 6) == 0) {
      snprintf(errbuf, size, "%s", buf + 6);
      close(m.sp);
      m.sp = -1;
      return -1;
    }
  }
  close(m.sp);
  m.sp = -1;
  m.started = 1;
  return 0;
}

/* Sends everything or fails (a send timeout counts as failure). */
static int send_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static void broadcast(int stream, const char *data, size_t len) {
  unsigned char hdr[8] = {(unsigned char)(stream + 1), 0, 0, 0, (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len};
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (m.c[i].kind != C_ATTACH) continue;
    if (send_all(m.c[i].fd, hdr, 8) < 0 || send_all(m.c[i].fd, data, len) < 0) {
      close(m.c[i].fd);
      m.c[i].kind = C_FREE;
    }
  }
}

static void reply(struct client *c, const char *text) {
  if (send(c->fd, text, strlen(text), MSG_NOSIGNAL) < 0) {
    close(c->fd);
    c->kind = C_FREE;
  }
}

static void exit_json(char *buf, size_t size) {
  int code = WIFEXITED(m.status) ? WEXITSTATUS(m.status) : 128 + WTERMSIG(m.status);
  int sig = WIFSIGNALED(m.status) ? WTERMSIG(m.status) : 0;
  char ts[64];
  format_time(ts, sizeof ts);
  snprintf(buf, size, "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"started\":%s,\"time\":\"%s\"}\n", (int)m.pid, code, sig,
           m.started ? "true" : "false", ts);
}

static void ctl_command(struct client *c, char *line) {
  char out[1300];
  if (strcmp(line, "start") == 0) {
    if (m.started || m.sp < 0 || m.exited) {
      reply(c, m.exited ? "error container has exited\n" : "error container already started\n");
      return;
    }
    msg_send(m.sp, "start", -1);
    char e[1200];
    if (wait_exec(e, sizeof e) < 0) {
      snprintf(out, sizeof out, "error %s\n", e);
      reply(c, out);
    } else {
      reply(c, "ok\n");
    }
  } else if (strcmp(line, "wait") == 0) {
    c->waiting = 1;
  } else if (strncmp(line, "kill ", 5) == 0) {
    int sig = atoi(line + 5);
    if (m.exited) reply(c, "error container has exited\n");
    else if (kill(m.pid, sig) < 0) {
      snprintf(out, sizeof out, "error kill: %s\n", strerror(errno));
      reply(c, out);
    } else reply(c, "ok\n");
  } else if (strncmp(line, "resize ", 7) == 0) {
    struct winsize ws = {0};
    unsigned rows = 0, cols = 0;
    sscanf(line + 7, "%u %u", &rows, &cols);
    ws.ws_row = (unsigned short)rows;
    ws.ws_col = (unsigned short)cols;
    if (m.pty >= 0 && ioctl(m.pty, TIOCSWINSZ, &ws) == 0) reply(c, "ok\n");
    else reply(c, "error no terminal\n");
  } else if (strcmp(line, "close-stdin") == 0) {
    if (m.in >= 0) close(m.in);
    m.in = -1;
    reply(c, "ok\n");
  } else if (strcmp(line, "pid") == 0) {
    snprintf(out, sizeof out, "%d\n", (int)m.pid);
    reply(c, out);
  } else {
    reply(c, "error unknown command\n");
  }
}

static int pump(int *fd, int stream);

/*
 * Writes attach input to the container's stdin (or pty) without deadlocking: while the
 * container is not reading, its output keeps being drained (a `cat` fed a large paste blocks on
 * stdout otherwise, with the monitor blocked on its stdin).
 */
static void feed_stdin(const char *buf, size_t len) {
  while (len > 0) {
    int to = m.pty >= 0 ? m.pty : m.in;
    if (to < 0) return;
    ssize_t n = write(to, buf, len);
    if (n > 0) {
      buf += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return;
    struct pollfd pf[3];
    int k = 0;
    pf[k++] = (struct pollfd){.fd = to, .events = (short)(POLLOUT | (to == m.pty ? POLLIN : 0))};
    if (m.out >= 0) pf[k++] = (struct pollfd){.fd = m.out, .events = POLLIN};
    if (m.err >= 0) pf[k++] = (struct pollfd){.fd = m.err, .events = POLLIN};
    if (poll(pf, (nfds_t)k, 1000) <= 0) continue;
    for (int i = 0; i < k; i++) {
      if (!(pf[i].revents & (POLLIN | POLLHUP))) continue;
      if (pf[i].fd == m.out) pump(&m.out, 0);
      else if (pf[i].fd == m.err) pump(&m.err, 1);
      else if (pf[i].fd == m.pty && (pf[i].revents & POLLIN)) pump(&m.pty, 0);
    }
    if (pf[0].revents & (POLLERR | POLLHUP) && to != m.pty) return;
  }
}

static void on_client(struct client *c) {
  char buf[8192];
  ssize_t n = c->in_closed ? -1 : read(c->fd, buf, sizeof buf);
  if (n == 0 && c->kind == C_ATTACH) {
    /* end of the client's input: it keeps receiving output */
    c->in_closed = 1;
    if (plan_has(m.p, "stdin-once") && m.in >= 0) {
      close(m.in);
      m.in = -1;
    }
    return;
  }
  if (n <= 0) {
    close(c->fd);
    c->kind = C_FREE;
    return;
  }
  if (c->kind == C_ATTACH) {
    feed_stdin(buf, (size_t)n);
    return;
  }
  for (ssize_t i = 0; i < n && c->kind == C_CTL; i++) {
    if (buf[i] == '\n') {
      c->buf[c->len] = '\0';
      c->len = 0;
      ctl_command(c, c->buf);
    } else if (c->len < sizeof c->buf - 1) {
      c->buf[c->len++] = buf[i];
    }
  }
}

static void accept_client(int lfd, int kind) {
  int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  /* a client that stops reading is dropped after 5 s instead of stalling the container's output */
  struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (m.c[i].kind == C_FREE) {
      m.c[i] = (struct client){.fd = fd, .kind = kind};
      return;
    }
  }
  close(fd);
}

static void reap(void) {
  struct signalfd_siginfo si;
  while (read(m.sigfd, &si, sizeof si) > 0) {
  }
  int st;
  pid_t w;
  while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
    if (w == m.pid) {
      m.exited = 1;
      m.status = st;
    }
  }
}

static int pump(int *fd, int stream) {
  char buf[16384];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (n <= 0) {
    close(*fd);
    *fd = -1;
    return -1;
  }
  log_write(stream, buf, (size_t)n);
  broadcast(stream, buf, (size_t)n);
  return 0;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void event_loop(void) {
  long drain_deadline = -1;
  for (;;) {
    if (m.exited && drain_deadline < 0) drain_deadline = now_ms() + 300;
    if (m.exited && ((m.out < 0 && m.err < 0 && m.pty < 0) || now_ms() >= drain_deadline)) break;
    struct pollfd pf[8 + MAX_CLIENTS];
    int idx[8 + MAX_CLIENTS];
    int n = 0;
    int fixed[6] = {m.sigfd, m.ctl, m.attach, m.out, m.err, m.pty};
    for (int i = 0; i < 6; i++)
      if (fixed[i] >= 0) {
        pf[n] = (struct pollfd){.fd = fixed[i], .events = POLLIN};
        idx[n++] = -1 - i;
      }
    for (int i = 0; i < MAX_CLIENTS; i++)
      if (m.c[i].kind != C_FREE) {
        pf[n] = (struct pollfd){.fd = m.c[i].fd, .events = (short)(m.c[i].in_closed ? 0 : POLLIN)};
        idx[n++] = i;
      }
    int timeout = m.exited ? (int)(drain_deadline - now_ms()) : -1;
    if (m.exited && timeout < 0) timeout = 0;
    int r = poll(pf, (nfds_t)n, timeout);
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < n && r > 0; i++) {
      if (!pf[i].revents) continue;
      switch (idx[i]) {
        case -1: reap(); break;
        case -2: accept_client(m.ctl, C_CTL); break;
        case -3: accept_client(m.attach, C_ATTACH); break;
        case -4: pump(&m.out, 0); break;
        case -5: pump(&m.err, 1); break;
        case -6: pump(&m.pty, 0); break;
        default: on_client(&m.c[idx[i]]);
      }
    }
  }
  log_flush();
  char json[512];
  exit_json(json, sizeof json);
  const char *exit_path = plan_str(m.p, "exit-file", 1);
  struct shim_error err;
  if (exit_path) write_file_atomic(exit_path, json, strlen(json), &err);
  /* sockets go before waiters hear of the exit, so a delete that follows finds the monitor done */
  cleanup_sockets();
  char line[600];
  snprintf(line, sizeof line, "exit %s", json);
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (m.c[i].kind == C_CTL && m.c[i].waiting) reply(&m.c[i], line);
}

static int open_null(void) {
  return open("/dev/null", O_RDWR | O_CLOEXEC);
}

int monitor_run(const struct plan *p, int node) {
  struct shim_error err = {0};
  char buf[1200];
  memset(&m, 0, sizeof m);
  m.p = p;
  m.node = node;
  m.in = m.out = m.err = m.pty = m.ctl = m.attach = m.sp = -1;
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  m.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

  struct stdio_fds io = {{0, 1, 2}};
  int child_ends[3] = {-1, -1, -1};
  const char *mode = plan_str(p, "stdio", 1);
  if (!mode) mode = "inherit";
  if (strcmp(mode, "pipe") == 0) {
    int pin[2], pout[2], perr[2];
    if (plan_has(p, "stdin")) {
      if (pipe2(pin, O_CLOEXEC) < 0) abort_setup("create stdin pipe");
      io.fd[0] = child_ends[0] = pin[0];
      m.in = pin[1];
      fcntl(m.in, F_SETFL, O_NONBLOCK);
    } else {
      io.fd[0] = child_ends[0] = open_null();
    }
    if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) abort_setup("create output pipes");
    io.fd[1] = child_ends[1] = pout[1];
    io.fd[2] = child_ends[2] = perr[1];
    m.out = pout[0];
    m.err = perr[0];
    fcntl(m.out, F_SETFL, O_NONBLOCK);
    fcntl(m.err, F_SETFL, O_NONBLOCK);
  } else if (strcmp(mode, "null") == 0) {
    int nfd = open_null();
    io.fd[0] = io.fd[1] = io.fd[2] = child_ends[0] = nfd;
  }
  const char *log_path = plan_str(p, "log", 1);
  if (log_path && log_open(log_path, atol(plan_str(p, "log", 2) ? plan_str(p, "log", 2) : "0"),
                           atoi(plan_str(p, "log", 3) ? plan_str(p, "log", 3) : "1"), &err) < 0)
    abort_setup(err.msg);

  if (prepare_idmapped_mounts(p, &err) < 0) abort_setup(err.msg);
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) abort_setup("create sync socket");
  int direct = !has_joined_ns(p);
  int flags = new_ns_flags(p);
  pid_t s1 = direct ? (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL) : fork();
  if (s1 < 0) {
    struct shim_error e;
    fail(&e, errno, "clone container process");
    abort_setup(e.msg);
  }
  if (s1 == 0) {
    close(sp[0]);
    close(node);
    if (m.in >= 0) close(m.in);
    if (m.out >= 0) close(m.out);
    if (m.err >= 0) close(m.err);
    if (m.sigfd >= 0) close(m.sigfd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (direct) stage1_direct(p, sp[1], &io, flags);
    stage1(p, sp[1], &io);
  }
  close(sp[1]);
  m.sp = sp[0];
  /* the preserved fds (4.. as spawned) are the container's alone now */
  int preserve = preserved_fds(p);
  for (int i = 0; i < preserve; i++) close(PRESERVED_FDS_FROM + i);
  close_idmapped_mounts();
  for (int i = 0; i < 3; i++)
    if (child_ends[i] >= 0) close(child_ends[i]);
  if (strcmp(mode, "inherit") == 0) {
    int nfd = open("/dev/null", O_RDWR);
    for (int i = 0; i < 3; i++) dup2(nfd, i);
    if (nfd > 2) close(nfd);
  }

  if (direct) {
    /* the clone is the container process: write its id maps, then it waits for "go" */
    m.pid = s1;
    if (flags & CLONE_NEWUSER) {
      if (write_id_maps(s1, &err) < 0) abort_setup(err.msg);
      msg_send(m.sp, "ok", -1);
    }
  } else {
    /* stage 1: id maps, then the container pid */
    for (;;) {
      ssize_t n = msg_recv(m.sp, buf, sizeof buf, NULL);
      if (n <= 0) abort_setup("container setup failed before it reported its pid");
      if (strcmp(buf, "maps") == 0) {
        if (write_id_maps(s1, &err) < 0) {
          kill(s1, SIGKILL);
          abort_setup(err.msg);
        }
        msg_send(m.sp, "ok", -1);
      } else if (strncmp(buf, "pid ", 4) == 0) {
        m.pid = (pid_t)atoi(buf + 4);
        break;
      } else if (strncmp(buf, "error ", 6) == 0) {
        waitpid(s1, NULL, 0);
        abort_setup(buf + 6);
      }
    }
    waitpid(s1, NULL, 0);
  }

  node_line("pid %ld\n", NULL, (long)m.pid);
  ssize_t ln = read_line(node, buf, sizeof buf);
  if (ln <= 0 || strcmp(buf, "go") != 0) abort_setup(ln <= 0 ? "runtime went away during create" : buf);
  if (join_cgroups(m.pid, &err) < 0) abort_setup(err.msg);
  msg_send(m.sp, "go", -1);

  for (;;) {
    int fd = -1;
    ssize_t n = msg_recv(m.sp, buf, sizeof buf, &fd);
    if (n <= 0) abort_setup("container process exited during setup");
    if (strncmp(buf, "warn ", 5) == 0) {
      node_line("%s\n", buf, 0);
    } else if (strcmp(buf, "pty") == 0 && fd >= 0) {
      const char *cs = plan_str(p, "console-socket", 1);
      if (cs) {
        if (send_console(cs, fd, &err) < 0) abort_setup(err.msg);
        close(fd);
      } else {
        m.pty = fd;
        fcntl(m.pty, F_SETFL, O_NONBLOCK);
      }
    } else if (strcmp(buf, "ready") == 0) {
      break;
    } else if (strncmp(buf, "error ", 6) == 0) {
      abort_setup(buf + 6);
    }
  }

  const char *ctl = plan_str(p, "control", 1), *att = plan_str(p, "attach", 1);
  if (ctl && (m.ctl = listen_unix(ctl, &err)) < 0) abort_setup(err.msg);
  if (att && (m.attach = listen_unix(att, &err)) < 0) abort_setup(err.msg);
  const char *pidfile = plan_str(p, "pid-file", 1);
  if (pidfile) {
    char pb[32];
    int l = snprintf(pb, sizeof pb, "%d", (int)m.pid);
    if (write_file_atomic(pidfile, pb, (size_t)l, &err) < 0) abort_setup(err.msg);
  }
  if (plan_has(p, "autostart")) {
    char e[1200];
    if (wait_exec(e, sizeof e) < 0) abort_setup(e);
  }
  node_line("ok %ld\n", NULL, (long)m.pid);
  close(node);
  m.node = -1;
  event_loop();
  return 0;
}
