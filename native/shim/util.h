/* Small I/O helpers shared by every stage: whole writes, messages over the seqpacket sync
 * socket (with optional SCM_RIGHTS fd), file writes, time stamps. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>
#include "error.h"

/* An fd closed when it goes out of scope (conmon's _cleanup_close_). */
static inline void close_fdp(int *fd) {
  if (*fd >= 0) close(*fd);
}
#define cleanup_fd __attribute__((cleanup(close_fdp)))

int write_all(int fd, const void *buf, size_t len);
/* Sends one message (a text line, no newline needed) with an optional fd (-1 for none). */
int msg_send(int sock, const char *text, int fd);
int msg_sendf(int sock, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Receives one message into buf (NUL-terminated); *fd gets a passed fd or -1. Returns length, 0 on EOF, <0 on error. */
ssize_t msg_recv(int sock, char *buf, size_t size, int *fd);
/* Writes `data` to an existing file (uid_map, sysctl, oom_score_adj). */
int write_file(const char *path, const char *data, size_t len, struct shim_error *err);
/* Writes via temp file + rename. */
int write_file_atomic(const char *path, const char *data, size_t len, struct shim_error *err);
/* RFC 3339 time with nanoseconds, trailing zeros trimmed as Go does. */
void format_time(char *buf, size_t size);
/* Reads a line from a stream fd (byte at a time; only used on short control lines). */
ssize_t read_line(int fd, char *buf, size_t size);

#endif
