#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int msg_send(int sock, const char *text, int fd) {
  struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  if (fd >= 0) {
    memset(&u, 0, sizeof u);
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  for (;;) {
    ssize_t r = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    return r < 0 ? -1 : 0;
  }
}

int msg_sendf(int sock, const char *fmt, ...) {
  char buf[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return msg_send(sock, buf, -1);
}

ssize_t msg_recv(int sock, char *buf, size_t size, int *fd) {
  struct iovec iov = {.iov_base = buf, .iov_len = size - 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (fd) *fd = -1;
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  buf[r] = '\0';
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof(int));
      if (fd) *fd = got;
      else close(got);
    }
  }
  return r;
}

int write_file(const char *path, const char *data, size_t len, struct shim_error *err) {
  cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(err, errno, "open \"%s\"", path);
  if (write_all(fd, data, len) < 0) return fail(err, errno, "write \"%s\"", path);
  return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, struct shim_error *err) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) return fail(err, errno, "create \"%s\"", tmp);
  if (write_all(fd, data, len) < 0) {
    int e = errno;
    close(fd);
    unlink(tmp);
    return fail(err, e, "write \"%s\"", tmp);
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return fail(err, e, "rename \"%s\"", path);
  }
  return 0;
}

void format_time(char *buf, size_t size) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  if (ts.tv_nsec) {
    char ns[16];
    snprintf(ns, sizeof ns, ".%09ld", ts.tv_nsec);
    size_t l = strlen(ns);
    while (l > 1 && ns[l - 1] == '0') ns[--l] = '\0';
    snprintf(buf + n, size - n, "%sZ", ns);
  } else {
    snprintf(buf + n, size - n, "Z");
  }
}

ssize_t read_line(int fd, char *buf, size_t size) {
  size_t n = 0;
  while (n + 1 < size) {
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    if (c == '\n') {
      buf[n] = '\0';
      return (ssize_t)n + 1;
    }
    buf[n++] = c;
  }
  buf[n] = '\0';
  return (ssize_t)n;
}
